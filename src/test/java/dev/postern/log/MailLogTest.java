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

    @Test
    void rejectLine() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new MailLog(out, "h", "postern").reject("smtpd", null, "RCPT", "unknown[192.0.2.9]",
                "554 5.7.1 <x@y.example>: Relay access denied", "a@b.example", "x@y.example", "ESMTP", "fred");
        assertTrue(out.toString(StandardCharsets.UTF_8).endsWith("postern/smtpd[" + ProcessHandle.current().pid()
                + "]: NOQUEUE: reject: RCPT from unknown[192.0.2.9]: 554 5.7.1 <x@y.example>: Relay access denied; "
                + "from=<a@b.example> to=<x@y.example> proto=ESMTP helo=<fred>\n"));
    }
}
