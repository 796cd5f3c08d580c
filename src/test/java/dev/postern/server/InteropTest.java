package dev.postern.server;

import dev.postern.testing.Peers;
import dev.postern.testing.PostfixInstance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Postern with the seed's server configuration against clients nobody here wrote: swaks,
 * openssl s_client (the seed's own manual test), curl, Python's smtplib, real Postfix as the
 * desktop MTA (the seed's client side: sender-dependent relayhost, "secure" TLS policy, client
 * certificate), and pflogsumm reading Postern's mail log.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InteropTest {
    private static final String FROM = "me@my.domain.example";
    private static final String TO = "someone@somewhere.else.example";

    @TempDir
    static Path dir;
    TestMta mta;

    @BeforeAll
    void start() throws Exception {
        mta = TestMta.start(dir.resolve("postern"), "smtpd_tls_received_header = yes\n", "");
    }

    @AfterAll
    void stop() throws Exception {
        mta.close();
    }

    private String port() {
        return Integer.toString(mta.submission().getPort());
    }

    private RecordingSink.Message delivered(String marker) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            RecordingSink.Message m = mta.sink.take(1);
            if (m != null && m.data().contains(marker)) {
                return m;
            }
        }
        throw new AssertionError("no message containing " + marker + " reached the next hop; log:\n" + mta.log());
    }

    @Test
    void swaksWithGoodCertificateIsDelivered() throws Exception {
        Peers.require("swaks", "swaks");
        Peers.Result r = Peers.run(Duration.ofSeconds(60), null, List.of("swaks", "--server", "127.0.0.1:" + port(), "--tls",
                "--tls-cert", mta.pki.goodClient().certFile().toString(), "--tls-key", mta.pki.goodClient().keyFile().toString(),
                "--from", FROM, "--to", TO, "--header", "Subject: swaks interop", "--body", "swaks-marker"));
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("<~  250 2.0.0 Ok: queued as "), r.out());
        RecordingSink.Message m = delivered("swaks-marker");
        assertTrue(m.data().contains("(Client CN \"desktop.example.org\", Issuer \"Postern Test CA\" (verified OK))"), m.data());
        assertTrue(m.data().contains("(using TLSv1.3 with cipher "), m.data());
    }

    @Test
    void swaksWithBadCaCertificateIsRefused() throws Exception {
        Peers.require("swaks", "swaks");
        Peers.Result r = Peers.run(Duration.ofSeconds(60), null, List.of("swaks", "--server", "127.0.0.1:" + port(), "--tls",
                "--tls-cert", mta.pki.badCaClient().certFile().toString(), "--tls-key", mta.pki.badCaClient().keyFile().toString(),
                "--from", FROM, "--to", TO));
        assertTrue(r.exit() != 0, r.out());
        assertTrue(r.out().contains("421 4.7.1 mx.postern.test Error: Client certificate not trusted"), r.out());
    }

    /** The seed's manual test, typed line by line as a person would (lower-case "rcpt to", see the seed's tip). */
    @Test
    void opensslSClientSeedSession() throws Exception {
        Peers.require("openssl", "openssl");
        try (OpensslSession s = OpensslSession.start(port(), mta.pki.caFile(), mta.pki.goodClient().certFile(),
                mta.pki.goodClient().keyFile())) {
            s.expect("ehlo fred", "^250 ");
            s.expect("mail from:<" + FROM + ">", "^250 2\\.1\\.0");
            s.expect("rcpt to:<" + TO + ">", "^250 2\\.1\\.5");
            s.expect("data", "^354 ");
            s.send("Subject: just a test");
            s.send("");
            s.send("openssl-marker");
            s.expect(".", "^250 2\\.0\\.0 Ok: queued as [0-9A-F]+");
            s.expect("quit", "^221 ");
        }
        delivered("openssl-marker");
    }

    @Test
    void opensslSClientWithBadCertificateIsRefused() throws Exception {
        Peers.require("openssl", "openssl");
        try (OpensslSession s = OpensslSession.start(port(), mta.pki.caFile(), mta.pki.badCaClient().certFile(),
                mta.pki.badCaClient().keyFile())) {
            s.expect("ehlo fred", "^421 4\\.7\\.1 mx\\.postern\\.test Error: Client certificate not trusted");
        }
    }

    @Test
    void curlWithClientCertificate() throws Exception {
        Peers.require("curl", "curl");
        Path msg = dir.resolve("curl-message.txt");
        Files.writeString(msg, "From: <" + FROM + ">\r\nTo: <" + TO + ">\r\nSubject: curl interop\r\n\r\ncurl-marker\r\n");
        Peers.Result r = Peers.run(Duration.ofSeconds(60), null, List.of("curl", "-sS", "--url", "smtp://127.0.0.1:" + port(),
                "--ssl-reqd", "--cacert", mta.pki.caFile().toString(), "--cert", mta.pki.goodClient().certFile().toString(),
                "--key", mta.pki.goodClient().keyFile().toString(), "--mail-from", FROM, "--mail-rcpt", TO,
                "--upload-file", msg.toString()));
        assertEquals(0, r.exit(), r.out() + r.err());
        delivered("curl-marker");
    }

    @Test
    void pythonSmtplibWithClientCertificate() throws Exception {
        Peers.require("python3", "python3");
        String script = String.join("\n",
                "import smtplib, ssl, sys",
                "ctx = ssl.create_default_context(cafile=sys.argv[2])",
                "ctx.load_cert_chain(sys.argv[3], sys.argv[4])",
                "s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='python.example', timeout=30)",
                "s.starttls(context=ctx)",
                "s.ehlo('python.example')",
                "r = s.sendmail('" + FROM + "', ['" + TO + "'], 'Subject: smtplib interop\\r\\n\\r\\npython-marker\\r\\n')",
                "print('refused:', r)",
                "s.quit()");
        Peers.Result r = Peers.run(Duration.ofSeconds(60), script, List.of("python3", "-", port(), mta.pki.caFile().toString(),
                mta.pki.goodClient().certFile().toString(), mta.pki.goodClient().keyFile().toString()));
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("refused: {}"), r.out());
        delivered("python-marker");
    }

    /**
     * The seed's desktop side with real Postfix: mail from my.domain.example is routed by
     * sender_dependent_relayhost_maps over TLS ("secure" policy, client certificate) to Postern,
     * which relays it; other senders go to the smarthost directly.
     */
    @Test
    void postfixDesktopRelaysThroughPosternWithClientCertificate() throws Exception {
        Path pfDir = dir.resolve("postfix-desktop");
        Files.createDirectories(pfDir.resolve("conf"));
        String posternHop = "[localhost]:" + port();
        Path senderMap = pfDir.resolve("conf/sender_dependent_relayhost");
        Files.writeString(senderMap, "# sender should be submitted to\n@my.domain.example\t" + posternHop + "\n");
        Path policy = pfDir.resolve("conf/smtp_tls_policy");
        Files.writeString(policy, posternHop + "\tsecure\n");
        try (PostfixInstance pf = PostfixInstance.start(pfDir, Map.of(
                "myhostname", "desktop.example.org",
                "relayhost", "[127.0.0.1]:" + mta.sink.port(),
                "sender_dependent_relayhost_maps", "hash:" + senderMap,
                "smtp_tls_CAfile", mta.pki.caFile().toString(),
                "smtp_tls_cert_file", mta.pki.goodClient().certFile().toString(),
                "smtp_tls_key_file", mta.pki.goodClient().keyFile().toString(),
                "smtp_tls_loglevel", "1",
                "smtp_tls_policy_maps", "hash:" + policy))) {
            pf.postmap(senderMap);
            pf.postmap(policy);
            Peers.require("swaks", "swaks");
            Peers.Result r = Peers.run(Duration.ofSeconds(60), null, List.of("swaks", "--server", "127.0.0.1:" + pf.smtpPort(),
                    "--from", FROM, "--to", TO, "--body", "via-postfix-marker"));
            assertEquals(0, r.exit(), r.out());
            RecordingSink.Message m;
            try {
                m = delivered("via-postfix-marker");
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "\nPostfix log:\n" + pf.log());
            }
            assertTrue(m.data().contains("by mx.postern.test (Postern) with ESMTPS"), "went through Postern:\n" + m.data());
            String pfLog = pf.awaitLog("status=sent", Duration.ofSeconds(30));
            assertTrue(pfLog.contains("Verified TLS connection established to localhost[127.0.0.1]:" + port()), pfLog);
            Matcher qid = Pattern.compile("to=<" + Pattern.quote(TO) + ">, relay=localhost\\[127\\.0\\.0\\.1\\]:" + port()
                    + ", .*status=sent \\(250 2\\.0\\.0 Ok: queued as ([0-9A-F]+)\\)").matcher(pfLog);
            assertTrue(qid.find(), pfLog);
            mta.awaitLog(qid.group(1) + ": removed", Duration.ofSeconds(20));

            Peers.Result other = Peers.run(Duration.ofSeconds(60), null, List.of("swaks", "--server", "127.0.0.1:" + pf.smtpPort(),
                    "--from", "me@isp.example", "--to", TO, "--body", "direct-marker"));
            assertEquals(0, other.exit(), other.out());
            RecordingSink.Message direct = delivered("direct-marker");
            assertTrue(!direct.data().contains("(Postern)"), "other senders bypass Postern:\n" + direct.data());
        }
    }

    /** pflogsumm (Debian) must read Postern's mail log: deliveries and rejects are counted. */
    @Test
    void pflogsummReadsTheMailLog() throws Exception {
        Peers.require("pflogsumm", "pflogsumm");
        try (var c = new dev.postern.testing.SmtpTestClient(mta.submission())) {
            c.reply();
            c.command("EHLO fred");
            c.command("STARTTLS");
            c.startTls(mta.pki.caCertificate(), mta.pki.goodClient().certificate(), mta.pki.goodClient().key());
            c.command("EHLO fred");
            c.command("MAIL FROM:<" + FROM + ">");
            c.command("RCPT TO:<" + TO + ">");
            c.command("DATA");
            String q = c.command("Subject: pflogsumm\r\n\r\npflogsumm-marker\r\n.");
            mta.awaitLog(q.substring(q.lastIndexOf(' ') + 1) + ": removed", Duration.ofSeconds(20));
        }
        Peers.Result r = Peers.run(Duration.ofSeconds(60), null, List.of("pflogsumm", "--syslog-name=postern",
                mta.mailLog.toString()));
        assertEquals(0, r.exit(), r.err());
        long sent = mta.log().lines().filter(l -> l.contains("status=sent")).count();
        Matcher received = Pattern.compile("(?m)^\\s*(\\d+)\\s+received").matcher(r.out());
        Matcher delivered = Pattern.compile("(?m)^\\s*(\\d+)\\s+delivered").matcher(r.out());
        assertTrue(received.find() && delivered.find(), r.out());
        assertTrue(Long.parseLong(delivered.group(1)) >= 1, r.out());
        assertEquals(sent, Long.parseLong(delivered.group(1)), "pflogsumm's count equals the log's status=sent lines\n" + r.out());
        assertTrue(Long.parseLong(received.group(1)) >= 1, r.out());
    }

    /** An interactive openssl s_client, driven line by line. */
    static final class OpensslSession implements AutoCloseable {
        private final Process process;
        private final OutputStream in;
        private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();

        private OpensslSession(Process process) {
            this.process = process;
            this.in = process.getOutputStream();
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String l;
                    while ((l = r.readLine()) != null) {
                        lines.add(l);
                    }
                } catch (Exception ignored) {
                    // process ended
                }
            });
            t.setDaemon(true);
            t.start();
        }

        static OpensslSession start(String port, Path ca, Path cert, Path key) throws Exception {
            return new OpensslSession(new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + port,
                    "-starttls", "smtp", "-CAfile", ca.toString(), "-cert", cert.toString(), "-key", key.toString(),
                    "-crlf", "-quiet").redirectError(ProcessBuilder.Redirect.DISCARD).start());
        }

        void send(String line) throws Exception {
            in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        }

        void expect(String line, String regex) throws Exception {
            send(line);
            Pattern p = Pattern.compile(regex);
            StringBuilder seen = new StringBuilder();
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (System.nanoTime() < deadline) {
                String l = lines.poll(200, TimeUnit.MILLISECONDS);
                if (l == null) {
                    continue;
                }
                seen.append(l).append('\n');
                if (p.matcher(l).find()) {
                    return;
                }
            }
            throw new AssertionError("after \"" + line + "\" expected /" + regex + "/, got:\n" + seen);
        }

        @Override
        public void close() {
            process.destroy();
        }
    }

}
