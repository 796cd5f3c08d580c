package dev.postern.server;

import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Postfix's stress (issue 9): when every session of a service is in use, smtpd_timeout takes its
 * stress value ({@code ${stress?{10}:{300}}s} by default; 2 s here), so clients that connect and
 * say nothing cannot keep a waiting client out. Sessions already idle are cut as soon as stress
 * begins, counted from when their wait began.
 */
class StressTest {
    @TempDir
    Path dir;

    private static final String LIMITED = "127.0.0.1:0 inet n - n - 2 smtpd\n"
            + "  -o smtpd_tls_security_level=may\n"
            + "  -o smtpd_tls_req_ccert=no\n"
            + "  -o smtpd_recipient_restrictions=reject_unauth_destination\n"
            + "  -o postern_smtpd_idle_eviction_time=0\n"; // Postfix's behaviour: places taken at accept

    @Test
    void idleClientsAreCutUnderStressAndTheWaitingClientIsServed() throws Exception {
        try (TestMta mta = TestMta.start(dir, "smtpd_timeout = ${stress?{2}:{300}}s\n", LIMITED)) {
            InetSocketAddress limited = mta.server.addresses().get(1);
            try (SmtpTestClient idle1 = new SmtpTestClient(limited); SmtpTestClient idle2 = new SmtpTestClient(limited);
                 Socket waiting = new Socket()) {
                assertTrue(idle1.reply().startsWith("220 "));
                assertTrue(idle2.reply().startsWith("220 "));
                long start = System.nanoTime();
                waiting.connect(limited, 5_000); // in the backlog: both sessions are taken
                waiting.setSoTimeout(20_000);
                byte[] greeting = new byte[4];
                int n = waiting.getInputStream().readNBytes(greeting, 0, 4);
                assertEquals("220 ", new String(greeting, 0, n, StandardCharsets.US_ASCII),
                        "the waiting client is served once the idle ones are cut");
                long waited = Duration.ofNanos(System.nanoTime() - start).toMillis();
                assertTrue(waited < 15_000, "served after " + waited + " ms, not after the normal 300 s");
                assertTrue(idle1.reply().startsWith("421 4.4.2 "), "idle client told why");
                assertTrue(idle2.reply().startsWith("421 4.4.2 "), "idle client told why");
            }
            mta.awaitLog("timeout after CONNECT from localhost\\[127\\.0\\.0\\.1\\]", Duration.ofSeconds(5));
        }
    }

    @Test
    void underStressATricklingClientIsCutAsWithAPerRequestDeadline() throws Exception {
        // maxproc 1: the trickling client's own session puts the service under stress. Per read
        // (Postfix's default), a byte every 300 ms would keep the 2 s timer alive for ever.
        try (TestMta mta = TestMta.start(dir, "relay_domains = relay.example\nsmtpd_timeout = ${stress?{2}:{300}}s\n",
                LIMITED.replace(" 2 smtpd", " 1 smtpd"))) {
            InetSocketAddress limited = mta.server.addresses().get(1);
            try (SmtpTestClient trickler = new SmtpTestClient(limited)) {
                assertTrue(trickler.reply().startsWith("220 "));
                assertTrue(trickler.command("EHLO slow.example").startsWith("250"));
                assertTrue(trickler.command("MAIL FROM:<s@slow.example>").startsWith("250"));
                assertTrue(trickler.command("RCPT TO:<x@relay.example>").startsWith("250"));
                assertTrue(trickler.command("DATA").startsWith("354"));
                long start = System.nanoTime();
                boolean cut = false;
                try {
                    for (int i = 0; i < 60 && !cut; i++) { // 18 s of trickling at most
                        trickler.sendRaw("x");
                        Thread.sleep(300); // the client's pace
                        cut = mta.log().contains("timeout after DATA");
                    }
                } catch (java.io.IOException closed) {
                    cut = true;
                }
                long took = Duration.ofNanos(System.nanoTime() - start).toMillis();
                assertTrue(cut, "a client trickling a byte every 300 ms kept its session under stress");
                assertTrue(took < 8_000, "cut after " + took + " ms, not near the 2 s stress deadline");
            }
            mta.awaitLog("timeout after DATA \\(\\d+ bytes\\) from localhost\\[127\\.0\\.0\\.1\\]", Duration.ofSeconds(5));
        }
    }

    @Test
    void stressValuesComeFromPostfixsDefaultsAndAnExplicitValueHasNone() throws Exception {
        java.nio.file.Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd -o smtpd_recipient_restrictions=reject\n");
        java.nio.file.Files.writeString(dir.resolve("main.cf"), "");
        dev.postern.smtpd.SmtpdSettings d = dev.postern.smtpd.SmtpdSettings.from(
                dev.postern.config.ConfigLoader.load(dir).config(), "smtpd");
        assertEquals(Duration.ofSeconds(300), d.timeout());
        assertEquals(new dev.postern.smtpd.SmtpdSettings.Stress(Duration.ofSeconds(10), Duration.ofSeconds(10), 1, 1, true), d.stress());
        assertEquals(20, d.hardErrorLimit());
        assertEquals(100, d.junkCommandLimit());
        // Set without $stress, as in Postfix: the same value under stress.
        java.nio.file.Files.writeString(dir.resolve("main.cf"), "smtpd_timeout = 300\nsmtpd_hard_error_limit = 5\n");
        dev.postern.smtpd.SmtpdSettings e = dev.postern.smtpd.SmtpdSettings.from(
                dev.postern.config.ConfigLoader.load(dir).config(), "smtpd");
        assertEquals(Duration.ofSeconds(300), e.stress().timeout(), "a bare 300 is seconds, stressed or not");
        assertEquals(5, e.stress().hardErrorLimit());
        assertTrue(e.stress().perRequestDeadline());
        // The pre-3.7 name, as Postfix's default for the new one reads it: its value, stressed or not.
        java.nio.file.Files.writeString(dir.resolve("main.cf"), "smtpd_per_record_deadline = no\n");
        dev.postern.config.LoadedConfig old = dev.postern.config.ConfigLoader.load(dir);
        assertTrue(old.warnings().isEmpty(), old.warnings().toString());
        dev.postern.smtpd.SmtpdSettings o = dev.postern.smtpd.SmtpdSettings.from(old.config(), "smtpd");
        assertFalse(o.perRequestDeadline());
        assertFalse(o.stress().perRequestDeadline());
        java.nio.file.Files.writeString(dir.resolve("main.cf"), "smtpd_per_record_deadline = yes\n");
        assertTrue(dev.postern.smtpd.SmtpdSettings.from(dev.postern.config.ConfigLoader.load(dir).config(), "smtpd").perRequestDeadline());
        // The new name wins over the old.
        java.nio.file.Files.writeString(dir.resolve("main.cf"), "smtpd_per_record_deadline = yes\nsmtpd_per_request_deadline = no\n");
        assertFalse(dev.postern.smtpd.SmtpdSettings.from(dev.postern.config.ConfigLoader.load(dir).config(), "smtpd").perRequestDeadline());
    }
}
