package dev.postern.metrics;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the hooks count and the bounds on label values; the HTTP side is in server.MetricsTest. */
class MetricsCountingTest {
    private static String scrape(Metrics m) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        m.scrape(out);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void offCountsNothingAndWritesNothing() throws Exception {
        Metrics off = Metrics.off();
        off.connect();
        off.delivery("smtp", "mx.example[192.0.2.1]:25", "sent", Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO);
        assertFalse(off.enabled());
        assertEquals("", scrape(off));
    }

    @Test
    void relayLabelsAreCappedAndOtherwiseTheNextHopsHostName() throws Exception {
        Metrics m = Metrics.on();
        Duration d = Duration.ofMillis(1500);
        m.delivery("error", "none", "bounced", d, d, d, d); // first seen, so kept
        for (int i = 0; i < Metrics.RELAY_LABEL_LIMIT + 10; i++) {
            m.delivery("smtp", "mx" + i + ".example[192.0.2." + (i % 250) + "]:25", "sent", d, d, d, d);
        }
        String s = scrape(m);
        assertTrue(s.contains("postern_delivery_status_total{relay=\"mx0.example\",status=\"sent\",transport=\"smtp\"} 1.0"), s);
        assertTrue(s.contains("postern_delivery_status_total{relay=\"none\",status=\"bounced\",transport=\"error\"} 1.0"), s);
        assertFalse(s.contains("mx" + Metrics.RELAY_LABEL_LIMIT + ".example"), "the 65th host is not a label");
        assertTrue(s.contains("postfix_smtp_delivery_delay_seconds_bucket{stage=\"transmission\",le=\"1.0\"} 0"), s);
        assertTrue(s.contains("postfix_smtp_delivery_delay_seconds_bucket{stage=\"transmission\",le=\"5.0\"} " + (Metrics.RELAY_LABEL_LIMIT + 11)), s);
        assertTrue(s.contains("postern_delivery_status_total{relay=\"other\",status=\"sent\",transport=\"smtp\"} 11.0"), s);
    }

    @Test
    void currentConnectionsAreConnectsLessDisconnects() throws Exception {
        Metrics m = Metrics.on();
        m.connect();
        m.connect();
        m.disconnect();
        String s = scrape(m);
        assertTrue(s.contains("postern_smtpd_connections 1.0"), s);
        assertTrue(s.contains("postfix_smtpd_connects_total 2.0"), s);
    }
}
