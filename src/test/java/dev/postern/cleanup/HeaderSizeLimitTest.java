package dev.postern.cleanup;

import dev.postern.log.MailLog;
import dev.postern.mail.MailAddress;
import dev.postern.mail.ReversePath;
import dev.postern.queue.Spool;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A header section longer than header_size_limit, without header checks: the Message-Id and
 * Date cleanup adds go in before a header line, never between a folded header's lines (where
 * the lines after them would fold into Date:), and the over-long header is cut as Postfix cuts it.
 */
class HeaderSizeLimitTest {
    @TempDir
    Path dir;

    @Test
    void addedHeadersNeverSplitAFoldedHeader() throws Exception {
        String to = "X-List: a0@example.org" + ",\r\n a@example.org".repeat(20000) + "\r\n"; // ~340 KB, one header: more than one hand-off
        String message = "From: s@example.org\r\n" + to + "Subject: big list\r\n\r\nbody\r\n";
        try (Spool spool = Spool.open(dir.resolve("q"))) {
            Cleanup c = new Cleanup(spool, new CleanupSettings("mx.example", 0, 102400), MailLog.async(
                    new ByteArrayOutputStream(), "h", "postern"), () -> { });
            CleanupTransaction t = c.open(new Envelope(ReversePath.parse("s@example.org"), "x[192.0.2.1]", "x", "ESMTP",
                    Instant.now(), false, false, "smtpd"));
            t.addRecipient(MailAddress.parse("b@example.org"));
            byte[] all = message.getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < all.length; i += 8192) {
                t.write(Unpooled.copiedBuffer(all, i, Math.min(8192, all.length - i)));
            }
            t.commit().get(10, TimeUnit.SECONDS);
            Path f = spool.list(Spool.Queue.INCOMING).get(0);
            String stored;
            try (InputStream in = spool.read(f).content().open()) {
                stored = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            }
            int date = stored.indexOf("\r\nDate: ");
            assertTrue(stored.startsWith("From: s@example.org\r\nMessage-Id: <"), stored.substring(0, 200));
            assertTrue(date > 0 && stored.indexOf("\r\n", date + 2) == stored.indexOf("\r\nX-List: a0@example.org"),
                    "Date ends where the X-List: header starts: " + stored.substring(0, 200));
            // header_size_limit applies to each header, as in Postfix: the X-List: header keeps its lines up to the
            // last one that ends within 102400 bytes (the "nice cut"), the headers after it stay headers
            String logical = to.substring(0, to.length() - 2).replace("\r\n", "\n"); // Postfix's header buffer
            String kept = logical.substring(0, logical.lastIndexOf('\n', 102400)).replace("\n", "\r\n") + "\r\n";
            assertTrue(stored.contains("\r\n" + kept + "Subject: big list\r\n\r\nbody\r\n"), "the folded header cut, in place");
            c.close();
        }
    }
}
