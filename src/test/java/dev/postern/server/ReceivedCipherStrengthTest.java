package dev.postern.server;

import dev.postern.testing.Peers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Received header and smtpd's log name the cipher as OpenSSL does and give its real strength:
 * swaks pinned to a 128-bit TLS 1.2 cipher whose name ends in SHA256 used to be reported as
 * "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (256/256 bits)".
 */
class ReceivedCipherStrengthTest {
    @TempDir
    Path dir;

    @Test
    void aes128IsLoggedAndStampedAs128Bits() throws Exception {
        Peers.require("swaks", "swaks");
        try (TestMta mta = TestMta.start(dir.resolve("postern"), "smtpd_tls_received_header = yes\nsmtpd_tls_loglevel = 1\n", "")) {
            Peers.Result r = Peers.run(Duration.ofSeconds(60), null, List.of("swaks", "--server",
                    "127.0.0.1:" + mta.submission().getPort(), "--tls", "--tls-protocol", "tlsv1_2",
                    "--tls-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256",
                    "--tls-cert", mta.pki.goodClient().certFile().toString(), "--tls-key", mta.pki.goodClient().keyFile().toString(),
                    "--from", "me@my.domain.example", "--to", "someone@somewhere.else.example", "--body", "cipher-marker"));
            assertEquals(0, r.exit(), r.out() + r.err());
            String summary = "TLSv1.2 with cipher ECDHE-ECDSA-AES128-GCM-SHA256 (128/128 bits)";
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            RecordingSink.Message m = null;
            while (m == null && System.nanoTime() < deadline) {
                m = mta.sink.take(1);
            }
            assertTrue(m != null && m.data().contains("(using " + summary + ")"), m == null ? mta.log() : m.data());
            // The mail log is written by its own thread: wait for the line rather than read it once.
            mta.awaitLog("TLS connection established from \\S+: " + Pattern.quote(summary), Duration.ofSeconds(30));
        }
    }
}
