package dev.postern.pickup;

import dev.postern.config.Config;
import dev.postern.config.ConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * pickup's content_filter, which sendmail mail and requeued mail get (Postfix's pickup writes its
 * FILTER record; postsuper(1): "the same content_filter settings (if any) as used for new local
 * mail submissions"): the pickup line's -o over main.cf, also when the -o clears it.
 */
class PickupSettingsTest {
    @TempDir
    Path dir;

    @Test
    void localAndRequeuedMailGetPickupsContentFilter() throws Exception {
        String smtpd = "127.0.0.1:0 inet n - n - - smtpd -o smtpd_recipient_restrictions=reject\nf unix - - n - - smtp\n"
                + "g unix - - n - - smtp\n";
        String[][] cases = {
                {"", "", ""},
                {"content_filter = f:[127.0.0.1]:10024\n", "", "f:[127.0.0.1]:10024"},
                {"content_filter = f:[127.0.0.1]:10024\n", "pickup unix n - y 60 1 pickup -o content_filter=g:[127.0.0.1]:10026\n",
                        "g:[127.0.0.1]:10026"},
                {"content_filter = f:[127.0.0.1]:10024\n", "pickup unix n - y 60 1 pickup -o content_filter=\n", ""},
                {"", "pickup unix n - y 60 1 pickup\n", ""},
        };
        for (String[] c : cases) {
            Files.writeString(dir.resolve("main.cf"), c[0]);
            Files.writeString(dir.resolve("master.cf"), smtpd + c[1]);
            Config config = ConfigLoader.load(dir).config();
            assertEquals(c[2], PickupSettings.from(config).contentFilter(), c[0] + c[1]);
        }
    }
}
