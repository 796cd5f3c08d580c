package dev.postern.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The Postern side of an interop test against {@link dev.postern.testing.PostfixInstance}: a
 * configuration directory with the settings that instance has (loopback network, no local
 * domains), one smtpd on 127.0.0.1:0, its queue and mail log under the directory.
 */
final class InteropPostern {
    private InteropPostern() {}

    /** Writes main.cf (with {@code mainCf}'s lines last) and master.cf into {@code dir}; returns it. */
    static Path configure(Path dir, String relayhost, Map<String, String> mainCf) throws IOException {
        Files.createDirectories(dir);
        StringBuilder main = new StringBuilder("compatibility_level = 3.6\nmynetworks = 127.0.0.0/8\nmydestination =\n"
                + "smtpd_relay_restrictions = permit_mynetworks, reject\nmyhostname = postern.test\n"
                + "queue_directory = " + dir.resolve("queue") + "\nmaillog_file = " + dir.resolve("maillog") + "\n"
                + "relayhost = " + relayhost + "\nsmtp_tls_security_level = none\n");
        mainCf.forEach((k, v) -> main.append(k).append(" = ").append(v).append('\n'));
        Files.writeString(dir.resolve("main.cf"), main.toString());
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n");
        return dir;
    }
}
