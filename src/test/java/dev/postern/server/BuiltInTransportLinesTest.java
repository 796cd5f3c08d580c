package dev.postern.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The master.cf lines of the built-in {@code smtp} and {@code relay} transports, end to end: as in
 * Postfix, each line's -o apply to its own transport only (seen in the EHLO name each next hop
 * gets), Debian's {@code -o syslog_name=postfix/$service_name} on the relay line logs relay's
 * deliveries as {@code postfix/relay/smtp} (mail_task(): syslog_name/program), mail routed by
 * relay_transport really goes through the relay line, and a reload adds, changes and removes the
 * -o (the transport itself stays, with main.cf's settings).
 */
class BuiltInTransportLinesTest {
    private static final String SENDER = "me@my.domain.example";

    @TempDir
    Path dir;

    /** relay_domains mail goes by relay_transport (relay) to its own next hop; the rest by smtp to relayhost. */
    private static String routing(RecordingSink relayHop) {
        return "relay_domains = partner.example\nrelay_transport = relay:[127.0.0.1]:" + relayHop.port() + "\n";
    }

    private static String relayLine(String helo) {
        return "relay     unix  -       -       y       -       -       smtp\n"
                + "    -o syslog_name=postfix/$service_name\n"
                + "    -o smtp_helo_name=" + helo + "\n";
    }

    @Test
    void eachLinesOptionsApplyToItsOwnTransportOnly() throws Exception {
        try (RecordingSink relayHop = RecordingSink.start()) {
            String master = "smtp      unix  -       -       y       -       -       smtp -o smtp_helo_name=smtp-line.example\n"
                    + relayLine("relay-line.example");
            try (TestMta mta = TestMta.start(dir, routing(relayHop), master)) {
                assertTrue(mta.warnings.stream().noneMatch(w -> w.contains("master.cf:") && !w.startsWith("master.cf:1:")),
                        "the smtp and relay lines load without a note: " + mta.warnings);

                String viaRelay = BounceAndRetryTest.send(mta, SENDER, "via relay", "someone@partner.example");
                RecordingSink.Message atRelayHop = relayHop.take(20);
                assertNotNull(atRelayHop, "relay_transport's next hop got it");
                assertEquals(List.of("<someone@partner.example>"), atRelayHop.rcptTo());
                assertEquals("relay-line.example", atRelayHop.helo(), "the relay line's -o, not the smtp line's");

                String viaSmtp = BounceAndRetryTest.send(mta, SENDER, "via smtp", "other@example.com");
                RecordingSink.Message atRelayhost = mta.sink.take(20);
                assertNotNull(atRelayhost, "default_transport smtp to relayhost");
                assertEquals("smtp-line.example", atRelayhost.helo(), "the smtp line's -o, not the relay line's");

                mta.awaitLog(" postfix/relay/smtp\\[\\d+\\]: " + viaRelay + ": to=<someone@partner\\.example>, "
                        + "relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:" + relayHop.port() + ", delay=[0-9.]+, "
                        + "delays=[0-9./]+, dsn=2\\.0\\.0, status=sent", Duration.ofSeconds(20));
                mta.awaitLog(" postern/smtp\\[\\d+\\]: " + viaSmtp + ": to=<other@example\\.com>, relay=127\\.0\\.0\\.1"
                        + "\\[127\\.0\\.0\\.1\\]:" + mta.sink.port() + ", .*status=sent", Duration.ofSeconds(20));
            }
        }
    }

    @Test
    void reloadAddsChangesAndRemovesTheRelayLinesOptions() throws Exception {
        try (RecordingSink relayHop = RecordingSink.start()) {
            try (TestMta mta = TestMta.start(dir, routing(relayHop), "")) {
                String before = BounceAndRetryTest.send(mta, SENDER, "no relay line", "a@partner.example");
                RecordingSink.Message m = relayHop.take(20);
                assertNotNull(m);
                assertEquals("mx.postern.test", m.helo(), "no line: main.cf's smtp_helo_name ($myhostname)");
                mta.awaitLog(" postern/relay\\[\\d+\\]: " + before + ": to=<a@partner\\.example>, .*status=sent",
                        Duration.ofSeconds(20));

                Path master = dir.resolve("master.cf");
                String seed = Files.readString(master);
                Files.writeString(master, seed + relayLine("relay-one.example"));
                List<String> notes = mta.server.reload(Server.plan(dir));
                assertTrue(notes.stream().anyMatch(n -> n.matches("transport relay takes the -o of master\\.cf:\\d+")),
                        notes.toString());
                String added = BounceAndRetryTest.send(mta, SENDER, "relay line added", "b@partner.example");
                m = relayHop.take(20);
                assertNotNull(m);
                assertEquals("relay-one.example", m.helo());
                mta.awaitLog(" postfix/relay/smtp\\[\\d+\\]: " + added + ": to=<b@partner\\.example>, .*status=sent",
                        Duration.ofSeconds(20));
                BounceAndRetryTest.send(mta, SENDER, "smtp unchanged", "c@example.com");
                m = mta.sink.take(20);
                assertNotNull(m);
                assertEquals("mx.postern.test", m.helo(), "the relay line's -o does not reach smtp");

                Files.writeString(master, seed + relayLine("relay-two.example"));
                notes = mta.server.reload(Server.plan(dir));
                assertTrue(notes.stream().anyMatch(n -> n.startsWith("transport relay changed")), notes.toString());
                BounceAndRetryTest.send(mta, SENDER, "relay line changed", "d@partner.example");
                m = relayHop.take(20);
                assertNotNull(m);
                assertEquals("relay-two.example", m.helo(), "the reloaded -o applies to mail sent after the reload");

                Files.writeString(master, seed);
                notes = mta.server.reload(Server.plan(dir));
                assertTrue(notes.contains("transport relay: main.cf's settings apply again (no -o on a relay line in master.cf)"),
                        notes.toString());
                String after = BounceAndRetryTest.send(mta, SENDER, "relay line removed", "e@partner.example");
                m = relayHop.take(20);
                assertNotNull(m, "relay stays a transport: its mail is delivered, not deferred");
                assertEquals("mx.postern.test", m.helo());
                mta.awaitLog(" postern/relay\\[\\d+\\]: " + after + ": to=<e@partner\\.example>, .*status=sent",
                        Duration.ofSeconds(20));
            }
        }
    }
}
