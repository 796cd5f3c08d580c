package dev.postern.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * sender_dependent_default_transport_maps end to end: a real Postern sends the mail of one sender
 * domain, and of its subdomains (Postern's {@code .parent} key), through a master.cf transport of
 * its own with its own EHLO name and next hop, while everyone else's mail goes through smtp to
 * relayhost. Checked by what each next hop saw and by the log's tags.
 */
class SenderDependentTransportTest {
    @TempDir
    Path dir;

    @Test
    void oneSenderDomainAndItsSubdomainsGoThroughTheirOwnTransport() throws Exception {
        try (RecordingSink ispHop = RecordingSink.start()) {
            String hop = "isp:[127.0.0.1]:" + ispHop.port();
            String main = "sender_dependent_default_transport_maps = inline:{ @domain-a.example=" + hop
                    + ", .domain-a.example=" + hop + ", @domain-c.example=DUNNO }\n";
            String master = "isp       unix  -       -       n       -       -       smtp\n"
                    + "    -o smtp_helo_name=desktop.example\n"
                    + "    -o syslog_name=postfix/isp\n";
            try (TestMta mta = TestMta.start(dir, main, master)) {
                assertTrue(mta.warnings.stream().noneMatch(w -> w.contains("sender_dependent_default_transport_maps")),
                        "implemented, not warned about: " + mta.warnings);

                String a = BounceAndRetryTest.send(mta, "me@domain-a.example", "from a", "friend@far.example");
                RecordingSink.Message atIsp = ispHop.take(20);
                assertNotNull(atIsp, "domain-a's mail goes through isp");
                assertEquals("<me@domain-a.example>", atIsp.mailFrom());
                assertEquals("desktop.example", atIsp.helo(), "the isp line's -o smtp_helo_name");

                String sub = BounceAndRetryTest.send(mta, "me@lab.domain-a.example", "from a subdomain", "friend@far.example");
                RecordingSink.Message subAtIsp = ispHop.take(20);
                assertNotNull(subAtIsp, "a subdomain's sender routes as its parent domain");
                assertEquals("<me@lab.domain-a.example>", subAtIsp.mailFrom());

                String c = BounceAndRetryTest.send(mta, "me@domain-c.example", "DUNNO", "friend@far.example");
                RecordingSink.Message atRelayhost = mta.sink.take(20);
                assertNotNull(atRelayhost, "DUNNO: default_transport (smtp) to relayhost");
                assertEquals("<me@domain-c.example>", atRelayhost.mailFrom());
                assertEquals("mx.postern.test", atRelayhost.helo());

                String log = mta.awaitLog(" postfix/isp/smtp\\[\\d+\\]: " + sub + ": to=<friend@far\\.example>, relay=127\\.0\\.0\\.1"
                        + "\\[127\\.0\\.0\\.1\\]:" + ispHop.port() + ", .*status=sent", Duration.ofSeconds(20));
                assertTrue(log.matches("(?s).* postfix/isp/smtp\\[\\d+\\]: " + a + ": to=<friend@far\\.example>, .*status=sent.*"), log);
                mta.awaitLog(" postern/smtp\\[\\d+\\]: " + c + ": to=<friend@far\\.example>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:"
                        + mta.sink.port() + ", .*status=sent", Duration.ofSeconds(20));
                assertEquals(0, ispHop.pending(), "nothing else went through isp");
            }
        }
    }
}
