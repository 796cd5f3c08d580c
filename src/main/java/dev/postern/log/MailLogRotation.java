package dev.postern.log;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * {@code postern log rotate}, as {@code postfix logrotate} (postfix-script): rename maillog_file
 * to {@code maillog_file.<suffix>} (maillog_file_rotate_suffix, strftime style), let the running
 * daemon reopen it, then run maillog_file_compressor on the renamed file. Better than Postfix's
 * fixed {@code sleep 1} after a HUP: the daemon's writer notices the rename by itself
 * ({@link FileSink}) and closes the old file before it creates the new one, so this waits until
 * the new file exists and only then compresses; no line can land in a file being compressed. An
 * empty compressor leaves the file as is (Postfix refuses to rotate then).
 */
public final class MailLogRotation {
    private MailLogRotation() {
    }

    /** What a rotation did, for the command's output. */
    public record Result(Path rotated, Path compressed) {
    }

    /**
     * @param daemonRunning whether a daemon writes the file (then its reopen is awaited)
     * @param reopenWait how long to wait for the daemon to reopen the file
     * @throws IOException with a message for the user when the rotation cannot be done
     */
    public static Result rotate(MailLogSettings s, ZonedDateTime now, BooleanSupplier daemonRunning, Duration reopenWait)
            throws IOException {
        if (s.file().isEmpty()) {
            throw new IOException("maillog_file is empty: the mail log goes to syslog, which rotates it (logrotate(8))");
        }
        Path file = Path.of(s.file());
        if (s.file().startsWith("/dev/")) {
            throw new IOException("not rotating '" + file + "'");
        }
        if (!Files.exists(file)) {
            throw new IOException("no mail log at " + file + " to rotate");
        }
        Path rotated = Path.of(s.file() + "." + strftime(s.rotateSuffix(), now));
        if (Files.exists(rotated)) {
            throw new IOException(rotated + " exists already; change maillog_file_rotate_suffix or move it away");
        }
        Files.move(file, rotated, StandardCopyOption.ATOMIC_MOVE);
        if (daemonRunning.getAsBoolean() && !awaitReopen(file, reopenWait)) {
            throw new IOException("renamed " + file + " to " + rotated + " but the daemon did not reopen the log within "
                    + reopenWait.toSeconds() + "s; not compressing a file it may still write");
        }
        if (s.compressor().isBlank()) {
            return new Result(rotated, null);
        }
        compress(s.compressor(), rotated);
        Path gz = Path.of(rotated + ".gz");
        return new Result(rotated, Files.exists(gz) ? gz : null);
    }

    private static boolean awaitReopen(Path file, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (!Files.exists(file)) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            try {
                Thread.sleep(50); // polling the file the daemon will create; no event to wait on across processes
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    private static void compress(String compressor, Path rotated) throws IOException {
        List<String> command = new ArrayList<>(List.of(compressor.trim().split("\\s+")));
        command.add(rotated.toString());
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            throw new IOException("rotated to " + rotated + " but cannot run maillog_file_compressor '" + compressor + "': " + e.getMessage());
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        try {
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException("rotated to " + rotated + " but maillog_file_compressor '" + compressor + "' did not finish");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while compressing " + rotated);
        }
        if (p.exitValue() != 0) {
            throw new IOException("rotated to " + rotated + " but maillog_file_compressor '" + compressor + "' failed (exit "
                    + p.exitValue() + ")" + (out.isEmpty() ? "" : ": " + out));
        }
    }

    /** The strftime(3) conversions a date suffix needs; anything else is refused rather than guessed. */
    static String strftime(String format, ZonedDateTime t) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%') {
                sb.append(c);
                continue;
            }
            if (++i == format.length()) {
                throw new IOException("maillog_file_rotate_suffix = " + format + ": ends with a lone %");
            }
            char conv = format.charAt(i);
            switch (conv) {
                case 'Y' -> sb.append(String.format("%04d", t.getYear()));
                case 'y' -> sb.append(String.format("%02d", t.getYear() % 100));
                case 'm' -> sb.append(String.format("%02d", t.getMonthValue()));
                case 'd' -> sb.append(String.format("%02d", t.getDayOfMonth()));
                case 'H' -> sb.append(String.format("%02d", t.getHour()));
                case 'M' -> sb.append(String.format("%02d", t.getMinute()));
                case 'S' -> sb.append(String.format("%02d", t.getSecond()));
                case 'j' -> sb.append(String.format("%03d", t.getDayOfYear()));
                case 's' -> sb.append(t.toEpochSecond());
                case 'F' -> sb.append(String.format("%04d-%02d-%02d", t.getYear(), t.getMonthValue(), t.getDayOfMonth()));
                case '%' -> sb.append('%');
                default -> throw new IOException("maillog_file_rotate_suffix = " + format + ": %" + conv
                        + " is not supported (use %Y %y %m %d %H %M %S %j %s %F %%)");
            }
        }
        if (sb.indexOf("/") >= 0) {
            throw new IOException("maillog_file_rotate_suffix = " + format + ": the suffix must not contain /");
        }
        return sb.toString();
    }
}
