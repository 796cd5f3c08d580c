package dev.postern.log;

import dev.postern.mail.MailAddress;
import dev.postern.mail.RecipientResult;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MailLogTest {

    @Test
    void delayFormatMatchesPostfix() {
        // Values from the seed's own log lines: delay=8.6, delays=8.2/0.19/0.11/0.09 and delay=25, delays=24/0.13/1.1/0.15
        assertEquals("8.6", MailLog.delay(Duration.ofMillis(8_600)));
        assertEquals("0.19", MailLog.delay(Duration.ofMillis(190)));
        assertEquals("0.09", MailLog.delay(Duration.ofMillis(90)));
        assertEquals("25", MailLog.delay(Duration.ofMillis(25_400)));
        assertEquals("1.1", MailLog.delay(Duration.ofMillis(1_150)));
        assertEquals("0", MailLog.delay(Duration.ofNanos(4_000_000)));
        assertEquals("0.1", MailLog.delay(Duration.ofMillis(100)));
        assertEquals("8", MailLog.delay(Duration.ofMillis(8_010)));
        assertEquals("4000", MailLog.delay(Duration.ofSeconds(4000)));
    }

    @Test
    void deliveryLineHasPostfixShapeThatPflogsummParses() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MailLog log = new MailLog(out, "katrina", "postern");
        Instant arrival = Instant.parse("2026-09-01T20:30:30Z");
        RecipientResult r = new RecipientResult.Sent(MailAddress.parse("someone@example.org"), "relay.example[192.0.2.1]:587",
                "2.0.0", "250 2.0.0 Ok: queued as 0E501803B", Duration.ofMillis(1100), Duration.ofMillis(150));
        log.delivery("smtp", "3225BD", r, arrival, arrival.plusMillis(8_600), Duration.ofMillis(8_200), Duration.ofMillis(190));
        String line = out.toString(StandardCharsets.UTF_8);
        assertTrue(line.matches("[A-Z][a-z]{2} [ 1-3]\\d \\d\\d:\\d\\d:\\d\\d katrina postern/smtp\\[\\d+\\]: .*\n"), line);
        assertTrue(line.endsWith("3225BD: to=<someone@example.org>, relay=relay.example[192.0.2.1]:587, delay=8.6, "
                + "delays=8.2/0.19/1.1/0.15, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 0E501803B)\n"), line);
        // pflogsumm's delivery regex (1.1.3/1.1.5), verbatim in Java syntax:
        assertTrue(java.util.regex.Pattern.compile("to=<([^>]*)>, (?:orig_to=<[^>]*>, )?relay=([^,]+), (?:conn_use=[^,]+, )?"
                + "delay=([^,]+), (?:delays=[^,]+, )?(?:dsn=[^,]+, )?status=(\\S+)").matcher(line).find());
    }

    /** A master.cf transport's -o syslog_name: Postfix's mail_task() tag, syslog_name/program, on the shared writer. */
    @Test
    void aViewWithAServicesSyslogNameTagsItsLinesAndLeavesTheLogOpen() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MailLog log = new MailLog(out, "katrina", "postern");
        MailLog isp = log.withSyslogName("postfix/isp");
        Instant arrival = Instant.parse("2026-09-01T20:30:30Z");
        RecipientResult r = new RecipientResult.Sent(MailAddress.parse("someone@example.org"), "relay.example[192.0.2.1]:587",
                "2.0.0", "250 2.0.0 Ok", Duration.ofMillis(1100), Duration.ofMillis(150));
        isp.delivery("smtp", "isp", "3225BD", r, arrival, arrival.plusMillis(8_600), Duration.ofMillis(8_200), Duration.ofMillis(190));
        isp.close();
        log.info("qmgr", "3225BD: removed");
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(2, lines.length, out.toString(StandardCharsets.UTF_8));
        assertTrue(lines[0].matches(".* katrina postfix/isp/smtp\\[\\d+\\]: 3225BD: to=<someone@example.org>, .*status=sent .*"), lines[0]);
        assertTrue(lines[1].matches(".* katrina postern/qmgr\\[\\d+\\]: 3225BD: removed"), lines[1]);
        assertTrue(log.withSyslogName("postern") == log, "the same name is the log itself");
    }

    @Test
    void rejectLine() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new MailLog(out, "h", "postern").reject("smtpd", null, "RCPT", "unknown[192.0.2.9]",
                "554 5.7.1 <x@y.example>: Relay access denied", "a@b.example", "x@y.example", "ESMTP", "fred");
        assertTrue(out.toString(StandardCharsets.UTF_8).endsWith("postern/smtpd[" + ProcessHandle.current().pid()
                + "]: NOQUEUE: reject: RCPT from unknown[192.0.2.9]: 554 5.7.1 <x@y.example>: Relay access denied; "
                + "from=<a@b.example> to=<x@y.example> proto=ESMTP helo=<fred>\n"));
    }

    /**
     * A check's text may quote a message's header ($1 of a folded header, a sender's CR): as
     * Postfix's printable(), control characters become '?', so nothing a sender writes can start a
     * log line of its own (a forged line for fail2ban).
     */
    @Test
    void controlCharactersInALineBecomeQuestionMarks() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new MailLog(out, "h", "postern").contentAction("4ABC", "warning", "header", "Subject: a\n\tb", "c[192.0.2.9]",
                "a@b.example", "x@y.example", "ESMTP", "fred", "subject a\n\tb\r\nDec  3 10:00:00 h postfix/smtpd[1]: forged");
        String log = out.toString(StandardCharsets.UTF_8);
        assertEquals(1, log.split("\n", -1).length - 1, "one line: " + log);
        assertTrue(log.endsWith("]: 4ABC: warning: header Subject: a??b from c[192.0.2.9]; from=<a@b.example> to=<x@y.example>"
                + " proto=ESMTP helo=<fred>: subject a??b??Dec  3 10:00:00 h postfix/smtpd[1]: forged\n"), log);
    }

    /** The other lines of a message's life, worded as Postfix writes them (smtpd, cleanup, qmgr). */
    @Test
    void sessionAndQueueLines() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MailLog log = new MailLog(out, "h", "postern");
        log.connect("smtpd", "desk.example[192.0.2.7]");
        log.client("smtpd", "3225BD", "desk.example[192.0.2.7]");
        log.messageId("3225BD", "<20260901.1@desk.example>");
        log.from("3225BD", "me@desk.example", 4321, 2);
        log.removed("3225BD");
        log.disconnect("smtpd", "desk.example[192.0.2.7]", "ehlo=2 starttls=1 mail=1 rcpt=2 data=1 quit=1 commands=8");
        log.warning("qmgr", "something odd");
        String pid = "[" + ProcessHandle.current().pid() + "]: ";
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(7, lines.length);
        String[] want = {
            "postern/smtpd" + pid + "connect from desk.example[192.0.2.7]",
            "postern/smtpd" + pid + "3225BD: client=desk.example[192.0.2.7]",
            "postern/cleanup" + pid + "3225BD: message-id=<20260901.1@desk.example>",
            "postern/qmgr" + pid + "3225BD: from=<me@desk.example>, size=4321, nrcpt=2 (queue active)",
            "postern/qmgr" + pid + "3225BD: removed",
            "postern/smtpd" + pid + "disconnect from desk.example[192.0.2.7] ehlo=2 starttls=1 mail=1 rcpt=2 data=1 quit=1 commands=8",
            "postern/qmgr" + pid + "warning: something odd"};
        for (int i = 0; i < want.length; i++) {
            assertTrue(lines[i].matches("[A-Z][a-z]{2} [ 1-3]\\d \\d\\d:\\d\\d:\\d\\d h .*"), lines[i]);
            assertTrue(lines[i].endsWith(" h " + want[i]), lines[i] + " should end with " + want[i]);
        }
    }

    /**
     * Each event counts once, where it is logged: an access(5) DISCARD in a counter of its own,
     * not as a message queued (message-id=) or removed from the queue.
     */
    @Test
    void aDiscardedMessageCountsInItsOwnCounter() throws Exception {
        dev.postern.metrics.Metrics metrics = dev.postern.metrics.Metrics.on();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MailLog log = MailLog.async(out, "h", "postern", metrics);
        log.discarded("3225BE", "<x@desk.example>");
        log.discarded("3225BF", "<y@desk.example>");
        log.close();
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("3225BF: removed (discarded)\n"), out.toString(StandardCharsets.UTF_8));
        ByteArrayOutputStream scraped = new ByteArrayOutputStream();
        metrics.scrape(scraped);
        String s = scraped.toString(StandardCharsets.UTF_8);
        assertTrue(s.contains("\npostern_cleanup_messages_discarded_total 2.0\n"), s);
        assertTrue(s.contains("\npostfix_cleanup_messages_processed_total 0.0\n"), s);
        assertTrue(s.contains("\npostfix_qmgr_messages_removed_total 0.0\n"), s);
    }

    /** Postfix's form for a bounce and a deferral, and conn_use on a reused connection. */
    @Test
    void bouncedDeferredAndConnUse() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MailLog log = new MailLog(out, "h", "postern");
        Instant t = Instant.parse("2026-09-01T20:30:30Z");
        log.delivery("smtp", "A1", new RecipientResult.Deferred(MailAddress.parse("a@x.example"), "none", "4.4.1",
                "connect to x.example[192.0.2.1]:25: Connection refused", Duration.ZERO, Duration.ZERO), t, t, Duration.ZERO, Duration.ZERO);
        log.delivery("smtp", "A2", new RecipientResult.Bounced(MailAddress.parse("b@x.example"), "x.example[192.0.2.1]:25", "5.1.1",
                "host x.example[192.0.2.1] said: 550 5.1.1 no such user (in reply to RCPT TO command)", Duration.ZERO, Duration.ZERO),
                t, t, Duration.ZERO, Duration.ZERO);
        log.delivery("smtp", "A3", new RecipientResult.Sent(MailAddress.parse("c@x.example"), "x.example[192.0.2.1]:25", "2.0.0",
                "250 ok", Duration.ZERO, Duration.ZERO, 3), t, t, Duration.ZERO, Duration.ZERO);
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("A1: to=<a@x.example>, relay=none, delay=0, delays=0/0/0/0, dsn=4.4.1, status=deferred "
                + "(connect to x.example[192.0.2.1]:25: Connection refused)\n"), text);
        assertTrue(text.contains("A2: to=<b@x.example>, relay=x.example[192.0.2.1]:25, delay=0, delays=0/0/0/0, dsn=5.1.1, "
                + "status=bounced (host x.example[192.0.2.1] said: 550 5.1.1 no such user (in reply to RCPT TO command))\n"), text);
        assertTrue(text.contains("A3: to=<c@x.example>, relay=x.example[192.0.2.1]:25, conn_use=3, delay=0, "), text);
    }

    @Test
    void asyncLogKeepsOrderAndWritesEverythingByClose() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MailLog log = MailLog.async(out, "h", "postern");
        for (int i = 0; i < 5000; i++) {
            log.info("smtpd", "line " + i);
        }
        log.close();
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(5000, lines.length);
        for (int i = 0; i < 5000; i++) {
            assertTrue(lines[i].endsWith("]: line " + i), lines[i]);
        }
    }

    /** A disk that stops: callers (event loops) go on at once, and what could not be kept is counted in the log. */
    @Test
    void asyncLogNeverBlocksTheCallerAndCountsDrops() throws Exception {
        java.util.concurrent.CountDownLatch diskBack = new java.util.concurrent.CountDownLatch(1);
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        java.io.OutputStream stuck = new java.io.OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                try {
                    diskBack.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                synchronized (written) {
                    written.write(b, off, len);
                }
            }
        };
        MailLog log = MailLog.async(stuck, "h", "postern");
        int n = 100_000;
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            log.info("smtpd", "line " + i);
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ms < 5_000, "logging " + n + " lines with the disk stuck took " + ms + " ms");
        diskBack.countDown();
        log.close();
        String text;
        synchronized (written) {
            text = written.toString(StandardCharsets.UTF_8);
        }
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("warning: mail log: (\\d+) lines dropped because the log could not be written fast enough").matcher(text);
        assertTrue(m.find(), "no drop count in the log");
        long dropped = Long.parseLong(m.group(1));
        long kept = text.lines().filter(l -> l.contains("]: line ")).count();
        assertEquals(n, kept + dropped, "every line is either written or counted as dropped");
        assertTrue(dropped > 0);
    }
}
