package dev.postern.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Transports of your own in master.cf, end to end: a real Postern whose transport_maps sends one
 * domain through {@code isp} (an SMTP client with {@code -o smtp_helo_name} and
 * {@code -o syslog_name=postfix/isp}), another through {@code strict}
 * ({@code -o smtp_tls_security_level=encrypt} towards a next hop without STARTTLS), and one to a
 * transport no line defines; everything else goes through the default smtp transport unchanged.
 * Checked by what each next hop saw (the EHLO name), by the queue, and by the mail log's tags.
 */
class CustomTransportTest {
    private static final String SENDER = "me@my.domain.example";

    @TempDir
    Path dir;

    private static String ispLine(String helo) {
        return "isp       unix  -       -       n       -       -       smtp\n"
                + "    -o smtp_helo_name=" + helo + "\n"
                + "    -o syslog_name=postfix/isp\n";
    }

    @Test
    void transportMapsSendOneDomainThroughACustomTransportAndTheRestThroughSmtp() throws Exception {
        try (RecordingSink ispHop = RecordingSink.start(); RecordingSink strictHop = RecordingSink.start()) {
            String main = "transport_maps = inline:{ isp.example=isp:[127.0.0.1]:" + ispHop.port()
                    + ", strict.example=strict:[127.0.0.1]:" + strictHop.port() + ", ghost.example=nowhere: }\n"
                    + "isp_destination_concurrency_limit = 2\n";
            String master = ispLine("desktop.example")
                    + "strict    unix  -       -       n       -       -       smtp\n"
                    + "    -o smtp_tls_security_level=encrypt -o syslog_name=postfix/$service_name\n";
            try (TestMta mta = TestMta.start(dir, main, master)) {
                assertTrue(mta.warnings.stream().noneMatch(w -> w.startsWith("master.cf:") || w.startsWith("transport ")),
                        "the transport lines load without a note: " + mta.warnings);
                assertTrue(mta.warnings.stream().anyMatch(w -> w.contains("transport_maps entry ghost.example -> nowhere:: "
                        + "unknown transport \"nowhere\"")), "check and start name the undefined transport: " + mta.warnings);

                String viaIsp = BounceAndRetryTest.send(mta, SENDER, "via isp", "user@isp.example");
                RecordingSink.Message atIsp = ispHop.take(20);
                assertNotNull(atIsp, "delivered through isp");
                assertEquals(List.of("<user@isp.example>"), atIsp.rcptTo());
                assertEquals("desktop.example", atIsp.helo(), "-o smtp_helo_name of the isp line");

                String viaSmtp = BounceAndRetryTest.send(mta, SENDER, "via smtp", "other@example.com");
                RecordingSink.Message atRelayhost = mta.sink.take(20);
                assertNotNull(atRelayhost, "other mail goes to relayhost through smtp");
                assertEquals(List.of("<other@example.com>"), atRelayhost.rcptTo());
                assertEquals("mx.postern.test", atRelayhost.helo(), "smtp keeps main.cf's smtp_helo_name ($myhostname)");

                String viaStrict = BounceAndRetryTest.send(mta, SENDER, "via strict", "someone@strict.example");
                String viaNowhere = BounceAndRetryTest.send(mta, SENDER, "via nowhere", "lost@ghost.example");

                String log = mta.awaitLog(" postfix/isp/smtp\\[\\d+\\]: " + viaIsp + ": to=<user@isp\\.example>, relay=127\\.0\\.0\\.1"
                        + "\\[127\\.0\\.0\\.1\\]:" + ispHop.port() + ", delay=[0-9.]+, delays=[0-9./]+, dsn=2\\.0\\.0, status=sent "
                        + "\\(250 2\\.0\\.0 Ok: queued as SINK1\\)", Duration.ofSeconds(20));
                assertTrue(Pattern.compile(" postern/smtp\\[\\d+\\]: " + viaSmtp + ": to=<other@example\\.com>, relay=127\\.0\\.0\\.1"
                        + "\\[127\\.0\\.0\\.1\\]:" + mta.sink.port() + ", .*status=sent").matcher(log).find(), log);
                mta.awaitLog(" postfix/strict/smtp\\[\\d+\\]: " + viaStrict + ": to=<someone@strict\\.example>, relay=127\\.0\\.0\\.1"
                        + "\\[127\\.0\\.0\\.1\\]:" + strictHop.port() + ", delay=[0-9.]+, delays=[0-9./]+, dsn=4\\.7\\.4, "
                        + "status=deferred \\(TLS is required, but was not offered by host 127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]\\)",
                        Duration.ofSeconds(20));
                log = mta.awaitLog(" postern/qmgr\\[\\d+\\]: " + viaNowhere + ": to=<lost@ghost\\.example>, relay=none, "
                        + "delay=[0-9.]+, delays=[0-9./]+, dsn=4\\.3\\.0, status=deferred \\(mail transport unavailable\\)",
                        Duration.ofSeconds(20));
                assertTrue(log.contains("postern/qmgr[") && log.contains("warning: " + viaNowhere + ": transport nowhere is not "
                        + "defined: no master.cf line \"nowhere unix - - n - - smtp\""), log);
                assertEquals(0, strictHop.pending(), "encrypt: nothing goes to a next hop without STARTTLS");
                assertTrue(mta.queuedFiles() >= 2, "the strict and the unroutable message wait in the queue");
                assertTrue(!log.contains(viaStrict + ": removed") && !log.contains(viaNowhere + ": removed"), log);
            }
        }
    }

    /** default_transport and relay_transport may name the transport too, with or without a next hop. */
    @Test
    void defaultTransportAndRelayTransportNameACustomTransport() throws Exception {
        try (RecordingSink relayHop = RecordingSink.start()) {
            String main = "default_transport = isp\nrelay_domains = partner.example\n"
                    + "relay_transport = isp:[127.0.0.1]:" + relayHop.port() + "\n";
            try (TestMta mta = TestMta.start(dir, main, ispLine("desktop.example"))) {
                assertTrue(mta.warnings.stream().noneMatch(w -> w.contains("unknown transport")), mta.warnings.toString());
                String viaDefault = BounceAndRetryTest.send(mta, SENDER, "default", "someone@far.example");
                RecordingSink.Message m = mta.sink.take(20);
                assertNotNull(m, "default_transport = isp: to relayhost, through isp");
                assertEquals("desktop.example", m.helo());
                String viaRelay = BounceAndRetryTest.send(mta, SENDER, "relay", "someone@partner.example");
                RecordingSink.Message r = relayHop.take(20);
                assertNotNull(r, "relay_transport = isp:[host]:port for relay_domains");
                assertEquals("desktop.example", r.helo());
                mta.awaitLog(" postfix/isp/smtp\\[\\d+\\]: " + viaDefault + ": to=<someone@far\\.example>, .*status=sent",
                        Duration.ofSeconds(10));
                mta.awaitLog(" postfix/isp/smtp\\[\\d+\\]: " + viaRelay + ": to=<someone@partner\\.example>, relay=127\\.0\\.0\\.1"
                        + "\\[127\\.0\\.0\\.1\\]:" + relayHop.port() + ", .*status=sent", Duration.ofSeconds(10));
            }
        }
    }

    @Test
    void reloadDefinesChangesAndRemovesATransport() throws Exception {
        try (RecordingSink ispHop = RecordingSink.start()) {
            String main = "transport_maps = inline:{ isp.example=isp:[127.0.0.1]:" + ispHop.port() + " }\n";
            try (TestMta mta = TestMta.start(dir, main, "")) {
                String early = BounceAndRetryTest.send(mta, SENDER, "before isp exists", "early@isp.example");
                mta.awaitLog(early + ": to=<early@isp\\.example>, relay=none, .*status=deferred \\(mail transport unavailable\\)",
                        Duration.ofSeconds(20));

                Path master = dir.resolve("master.cf");
                String seed = Files.readString(master);
                Files.writeString(master, seed + ispLine("first.example"));
                List<String> notes = mta.server.reload(Server.plan(dir));
                assertTrue(notes.stream().anyMatch(n -> n.matches("transport isp defined \\(master\\.cf:\\d+\\)")), notes.toString());
                RecordingSink.Message retried = ispHop.take(30);
                assertNotNull(retried, "the deferred message goes out through the transport the reload defined");
                assertEquals(List.of("<early@isp.example>"), retried.rcptTo());
                assertEquals("first.example", retried.helo());
                mta.awaitLog(" postfix/isp/smtp\\[\\d+\\]: " + early + ": to=<early@isp\\.example>, .*status=sent",
                        Duration.ofSeconds(10));

                Files.writeString(master, seed + ispLine("second.example"));
                notes = mta.server.reload(Server.plan(dir));
                assertTrue(notes.stream().anyMatch(n -> n.startsWith("transport isp changed")), notes.toString());
                BounceAndRetryTest.send(mta, SENDER, "after the change", "next@isp.example");
                RecordingSink.Message changed = ispHop.take(20);
                assertNotNull(changed);
                assertEquals("second.example", changed.helo(), "the reloaded -o applies to mail sent after the reload");

                Files.writeString(master, seed);
                notes = mta.server.reload(Server.plan(dir));
                assertTrue(notes.stream().anyMatch(n -> n.startsWith("transport isp removed")), notes.toString());
                String late = BounceAndRetryTest.send(mta, SENDER, "after the removal", "late@isp.example");
                mta.awaitLog(late + ": to=<late@isp\\.example>, relay=none, .*dsn=4\\.3\\.0, status=deferred "
                        + "\\(mail transport unavailable\\)", Duration.ofSeconds(20));
                assertEquals(0, ispHop.pending(), "nothing reaches the removed transport's next hop");
            }
        }
    }
}
