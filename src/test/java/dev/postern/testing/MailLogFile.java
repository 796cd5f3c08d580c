package dev.postern.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * A daemon's mail log file (maillog_file) as tests read it. The daemon writes it on a thread of
 * its own, so a line is not there the moment the action that logs it returns: tests wait for it
 * ({@link #await}) rather than read the file once.
 */
public final class MailLogFile {
    private MailLogFile() {}

    /** The whole file, or "" before it exists. */
    public static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    }

    /** Waits until the file matches {@code regex} (find); returns its text then. */
    public static String await(Path file, String regex, Duration timeout) throws Exception {
        Pattern p = Pattern.compile(regex);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            String log = read(file);
            if (p.matcher(log).find()) {
                return log;
            }
            Thread.sleep(50); // polling the file, not a synchronisation
        }
        throw new AssertionError("mail log never matched /" + regex + "/; log:\n" + read(file));
    }
}
