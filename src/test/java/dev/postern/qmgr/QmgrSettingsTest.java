package dev.postern.qmgr;

import dev.postern.config.Config;
import dev.postern.config.ConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The queue manager's parameters as main.cf gives them, with Postfix's defaults. */
class QmgrSettingsTest {
    @TempDir
    Path dir;

    private QmgrSettings load(String main) throws Exception {
        Files.writeString(dir.resolve("main.cf"), main);
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd -o smtpd_recipient_restrictions=reject\n");
        Config c = ConfigLoader.load(dir).config();
        return QmgrSettings.from(c);
    }

    @Test
    void postfixDefaults() throws Exception {
        QmgrSettings s = load("");
        assertEquals(20, s.concurrencyFor("smtp"));
        assertEquals(20, s.concurrencyFor("relay"));
        assertEquals(100, s.processLimit());
        assertEquals(20000, s.messageActiveLimit());
        assertEquals(Duration.ZERO, s.delayWarningTime());
        assertEquals(s.maximalQueueLifetime(), s.lifetime(false));
        assertEquals(s.bounceQueueLifetime(), s.lifetime(true));
    }

    @Test
    void perTransportLimitsOverrideTheDefault() throws Exception {
        QmgrSettings s = load("default_destination_concurrency_limit = 7\nsmtp_destination_concurrency_limit = 3\n"
                + "default_process_limit = 9\nqmgr_message_active_limit = 50\nbounce_queue_lifetime = 1h\n");
        assertEquals(3, s.concurrencyFor("smtp"));
        assertEquals(7, s.concurrencyFor("relay"), "relay_destination_concurrency_limit = $default_destination_concurrency_limit");
        assertEquals(7, s.concurrencyFor("some-other-transport"));
        assertEquals(9, s.processLimit());
        assertEquals(50, s.messageActiveLimit());
        assertEquals(Duration.ofHours(1), s.lifetime(true));
        assertEquals(Integer.MAX_VALUE, load("relay_destination_concurrency_limit = 0\n").concurrencyFor("relay"), "0: no limit");
    }

    @Test
    void backoffIsTheAgeClampedAsPostfix() throws Exception {
        QmgrSettings s = load("minimal_backoff_time = 300s\nmaximal_backoff_time = 4000s\n");
        assertEquals(Duration.ofSeconds(300), s.backoff(Duration.ofSeconds(10)));
        assertEquals(Duration.ofSeconds(1000), s.backoff(Duration.ofSeconds(1000)), "retry after its age: the delay doubles");
        assertEquals(Duration.ofSeconds(4000), s.backoff(Duration.ofDays(1)));
    }

}
