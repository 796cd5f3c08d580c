package dev.postern.server;

import dev.postern.cli.Main;
import dev.postern.config.ConfigException;
import dev.postern.testing.Peers;
import dev.postern.testing.SmtpTestClient;
import dev.postern.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * postern_metrics_listen end to end: the real server with metrics on port 0, real mail through it
 * (a trusted certificate that relays, an untrusted one, none, a broken handshake, a relay attempt
 * refused by a restriction), scraped with the JDK's HTTP client; the exposition passes {@code
 * promtool check metrics} (Debian's prometheus package). Off by default: nothing is bound.
 */
class MetricsTest {
    @TempDir
    Path dir;

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** A second, plaintext listener whose only restriction is the relay check. */
    private static final String RELAY_CHECKED = "127.0.0.1:0 inet n - n - - smtpd\n"
            + "  -o smtpd_tls_req_ccert=no -o smtpd_recipient_restrictions=reject_unauth_destination\n";

    @Test
    void offByDefaultBindsNothing() throws Exception {
        try (TestMta mta = TestMta.start(dir, "", "")) {
            assertTrue(mta.server.metricsAddress().isEmpty());
            assertTrue(!mta.server.mailLog().metrics().enabled());
        }
    }

    @Test
    void anAddressWithoutPortIsAConfigErrorNamingTheLine() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> TestMta.start(dir, "postern_metrics_listen = 127.0.0.1\n", ""));
        assertTrue(e.getMessage().contains("main.cf") && e.getMessage().contains("postern_metrics_listen"), e.getMessage());
    }

    @Test
    void realMailMovesTheCountersAndPromtoolAcceptsTheExposition() throws Exception {
        try (TestMta mta = TestMta.start(dir, "postern_metrics_listen = 127.0.0.1:0\n", RELAY_CHECKED)) {
            URI uri = uri(mta);
            String before = scrape(uri);
            assertEquals(0, value(before, "postfix_smtpd_connects_total"));
            assertEquals(0, value(before, "postern_queue_messages", "queue=\"deferred\""));

            TestPki pki = mta.pki;
            // A trusted certificate: accepted, relayed, delivered to the sink.
            try (SmtpTestClient c = tls(mta.submission(), pki, pki.goodClient())) {
                assertTrue(c.command("EHLO desktop").startsWith("250"));
                assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<alice@domain-a.example>"));
                assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<bob@elsewhere.example>"));
                assertTrue(c.command("DATA").startsWith("354"));
                assertTrue(c.command("Subject: metrics\r\n\r\nbody\r\n.").startsWith("250 2.0.0 Ok: queued as "));
                c.command("QUIT");
            }
            mta.awaitLog("status=sent", Duration.ofSeconds(30));
            // An untrusted certificate and no certificate: both refused after the handshake.
            try (SmtpTestClient c = tls(mta.submission(), pki, pki.badCaClient())) {
                assertTrue(c.command("EHLO desktop").startsWith("421 4.7.1"));
            }
            try (SmtpTestClient c = tls(mta.submission(), pki, null)) {
                assertTrue(c.command("EHLO desktop").startsWith("421 4.7.1"));
            }
            // A handshake that fails: plaintext where the ClientHello should be.
            try (SmtpTestClient c = new SmtpTestClient(mta.submission())) {
                c.reply();
                c.command("EHLO broken");
                assertTrue(c.command("STARTTLS").startsWith("220"));
                c.sendRaw("this is not TLS\r\n\r\n");
                awaitClosed(c);
            }
            // A relay attempt refused by reject_unauth_destination on the plaintext listener.
            try (SmtpTestClient c = new SmtpTestClient(mta.server.addresses().get(1))) {
                c.reply();
                c.command("EHLO stranger");
                c.command("MAIL FROM:<x@stranger.example>");
                assertTrue(c.command("RCPT TO:<y@elsewhere.example>").startsWith("554 5.7.1"));
                c.command("QUIT");
            }

            // The exposition is not one snapshot: each metric is read in turn (the connections gauge
            // after both counters), so the counters asserted below are awaited themselves.
            String after = awaitScrape(uri, s -> value(s, "postern_smtpd_connections") == 0
                    && value(s, "postfix_smtpd_connects_total") == 5 && value(s, "postfix_smtpd_disconnects_total") == 5
                    && value(s, "postern_smtpd_tls_handshakes_total", "result=\"failed\"") == 1
                    && value(s, "postfix_smtpd_messages_rejected_total", "code=\"554\"") == 1);
            assertEquals(5, value(after, "postfix_smtpd_connects_total"));
            assertEquals(5, value(after, "postfix_smtpd_disconnects_total"));
            assertEquals(1, value(after, "postern_smtpd_tls_handshakes_total", "result=\"trusted\""));
            assertEquals(1, value(after, "postern_smtpd_tls_handshakes_total", "result=\"untrusted\""));
            assertEquals(1, value(after, "postern_smtpd_tls_handshakes_total", "result=\"no_cert\""));
            assertEquals(3, value(after, "postern_smtpd_tls_sessions_total", "reused=\"false\""));
            assertEquals(1, value(after, "postfix_smtpd_messages_rejected_total", "code=\"554\"", "stage=\"RCPT\"",
                    "restriction=\"reject_unauth_destination\""));
            assertEquals(1, value(after, "postfix_smtpd_messages_processed_total"));
            assertEquals(1, value(after, "postfix_cleanup_messages_processed_total"));
            assertEquals(1, value(after, "postern_delivery_status_total", "relay=\"127.0.0.1\"", "status=\"sent\""));
            assertEquals(1, value(after, "postfix_smtp_delivery_delay_seconds_count", "stage=\"transmission\""));
            assertEquals(1, value(after, "postfix_smtp_delivery_delay_seconds_bucket", "stage=\"before_queue_manager\"",
                    "le=\"+Inf\""));
            awaitScrape(uri, s -> value(s, "postfix_qmgr_messages_removed_total") == 1
                    && value(s, "postern_queue_messages", "queue=\"active\"") == 0);

            Peers.require("promtool", "prometheus");
            Peers.Result check = Peers.run(Duration.ofSeconds(60), after, List.of("promtool", "check", "metrics"));
            assertEquals(0, check.exit(), "promtool check metrics:\n" + check.out() + check.err() + "\n" + after);
        }
    }

    @Test
    void crlAgeIsReportedForTheConfiguredCrlFile() throws Exception {
        Path ca = dir.resolve("ca");
        run("ca", "init", "--dir", ca.toString(), "--cn", "Metrics CA");
        Path crl = dir.resolve("crl.pem");
        run("ca", "crl", "--dir", ca.toString(), "--out", crl.toString());
        try (TestMta mta = TestMta.start(dir, "postern_metrics_listen = 127.0.0.1:0\npostern_smtpd_tls_crl_file = " + crl + "\n", "")) {
            double age = value(scrape(uri(mta)), "postern_smtpd_tls_crl_age_seconds");
            assertTrue(age >= 0 && age < 600, "CRL age " + age);
            Files.writeString(crl, "not a CRL\n");
            assertTrue(!scrape(uri(mta)).contains("postern_smtpd_tls_crl_age_seconds "), "an unreadable CRL has no age");
        }
    }

    private static void run(String... args) {
        StringWriter out = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(out, true), args);
        assertEquals(0, code, String.join(" ", args) + ":\n" + out);
    }

    private static SmtpTestClient tls(InetSocketAddress at, TestPki pki, TestPki.Client client) throws Exception {
        SmtpTestClient c = new SmtpTestClient(at);
        assertTrue(c.reply().startsWith("220"));
        assertTrue(c.command("EHLO desktop").startsWith("250"));
        assertTrue(c.command("STARTTLS").startsWith("220"));
        if (client == null) {
            c.startTls(pki.caCertificate(), null, null);
        } else {
            c.startTls(pki.caCertificate(), client.certificate(), client.key());
        }
        return c;
    }

    private static void awaitClosed(SmtpTestClient c) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!c.isClosedByPeer()) {
            assertTrue(System.nanoTime() < deadline, "server kept the broken TLS connection open");
            Thread.sleep(20);
        }
    }

    private static URI uri(TestMta mta) {
        InetSocketAddress a = mta.server.metricsAddress().orElseThrow();
        return URI.create("http://127.0.0.1:" + a.getPort() + "/metrics");
    }

    private static String scrape(URI uri) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
                r.headers().toString());
        return r.body();
    }

    private static String awaitScrape(URI uri, Predicate<String> ready) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String s = scrape(uri);
        while (!ready.test(s)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("metrics never reached the expected values:\n" + s);
            }
            Thread.sleep(50);
            s = scrape(uri);
        }
        return s;
    }

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*\\})? (\\S+)$", Pattern.MULTILINE);

    /** The sum of the samples named {@code name} whose labels include all of {@code labels}; 0 when none. */
    static double value(String exposition, String name, String... labels) {
        double sum = 0;
        Matcher m = SAMPLE.matcher(exposition);
        outer:
        while (m.find()) {
            if (!m.group(1).equals(name)) {
                continue;
            }
            String l = m.group(2) == null ? "" : m.group(2);
            for (String want : labels) {
                if (!l.contains(want)) {
                    continue outer;
                }
            }
            sum += Double.parseDouble(m.group(3));
        }
        return sum;
    }
}
