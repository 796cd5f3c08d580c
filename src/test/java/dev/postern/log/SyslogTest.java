package dev.postern.log;

import dev.postern.testing.SyslogReceiver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The mail log through a real AF_UNIX datagram socket, as rsyslog's imuxsock receives it at /dev/log. */
class SyslogTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String STAMP = "[A-Z][a-z]{2} [ 1-3]\\d \\d\\d:\\d\\d:\\d\\d";
    private static final String PID = "\\[" + ProcessHandle.current().pid() + "\\]";

    static MailLogSettings syslog(Path socket, String facility, boolean json) {
        return new MailLogSettings("", "mx.example", "postfix", MailLogSettings.FACILITIES.get(facility), socket, json,
                "%Y%m%d-%H%M%S", "gzip");
    }

    @Test
    void recordsArriveAsRfc3164DatagramsWithPostfixProgramNames(@TempDir Path dir) throws Exception {
        try (SyslogReceiver rsyslog = SyslogReceiver.bind(dir.resolve("log"))) {
            MailLog log = MailLog.open(syslog(rsyslog.path(), "mail", false), null);
            assertEquals("syslog " + rsyslog.path(), log.destination());
            log.reject("smtpd", null, "RCPT", "unknown[192.0.2.9]", "554 5.7.1 <x@y.example>: Relay access denied",
                    "a@b.example", "x@y.example", "ESMTP", "fred");
            log.warning("qmgr", "something odd");
            // mail = 2, info = 6: <22>; warning = 4: <20>. No host (syslogd adds it), no newline: what glibc's syslog(3) sends.
            String reject = rsyslog.await("reject", WAIT);
            assertTrue(Pattern.matches("<22>" + STAMP + " postfix/smtpd" + PID + ": NOQUEUE: reject: RCPT from unknown\\[192\\.0\\.2\\.9\\]: "
                    + "554 5\\.7\\.1 <x@y\\.example>: Relay access denied; from=<a@b\\.example> to=<x@y\\.example> proto=ESMTP helo=<fred>", reject), reject);
            String warning = rsyslog.await("odd", WAIT);
            assertTrue(Pattern.matches("<20>" + STAMP + " postfix/qmgr" + PID + ": warning: something odd", warning), warning);
            log.close();
            assertEquals(2, rsyslog.messages().size(), "one datagram per record");
        }
    }

    @Test
    void facilityComesFromSyslogFacility(@TempDir Path dir) throws Exception {
        try (SyslogReceiver rsyslog = SyslogReceiver.bind(dir.resolve("log"))) {
            MailLog log = MailLog.open(syslog(rsyslog.path(), "local3", false), null);
            log.connect("smtpd", "unknown[192.0.2.9]");
            String m = rsyslog.await("connect from", WAIT);
            log.close();
            assertTrue(m.startsWith("<158>"), m); // local3 = 19, 19 * 8 + 6
        }
    }

    /** rsyslog restarted: its socket is a new one at the same path. syslog(3) reconnects; so does Postern. */
    @Test
    void reconnectsWhenTheSyslogDaemonRestarts(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("log");
        MailLog log;
        try (SyslogReceiver first = SyslogReceiver.bind(socket)) {
            log = MailLog.open(syslog(socket, "mail", false), null);
            log.info("master", "before restart");
            first.await("before restart", WAIT);
        }
        try (SyslogReceiver second = SyslogReceiver.bind(socket)) {
            log.info("master", "after restart");
            second.await("after restart", WAIT);
            log.close();
        }
    }

    @Test
    void jsonRecordIsTheSyslogMessage(@TempDir Path dir) throws Exception {
        try (SyslogReceiver rsyslog = SyslogReceiver.bind(dir.resolve("log"))) {
            MailLog log = MailLog.open(syslog(rsyslog.path(), "mail", true), null);
            log.removed("3225BD");
            String m = rsyslog.await("removed", WAIT);
            log.close();
            assertTrue(Pattern.matches("<22>" + STAMP + " postfix/qmgr" + PID + ": \\{\"time\":\"[^\"]+\",\"host\":\"mx.example\","
                    + "\"program\":\"postfix/qmgr\",\"pid\":\\d+,\"severity\":\"info\",\"event\":\"removed\",\"queue_id\":\"3225BD\","
                    + "\"message\":\"3225BD: removed\"}", m), m);
        }
    }

    /** No syslog daemon (a container without /dev/log): the log goes to stderr, with a warning, never nowhere. */
    @Test
    void withoutASyslogSocketTheLogGoesToStderr(@TempDir Path dir) throws Exception {
        MailLog log = MailLog.open(syslog(dir.resolve("absent"), "mail", false), null);
        assertEquals("stderr", log.destination());
        log.close();
        assertFalse(dir.resolve("absent").toFile().exists());
    }
}
