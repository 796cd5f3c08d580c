package dev.postern.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Proves delivery from a mail log, Postern's or Postfix's (same record format): the line
 * {@code QUEUEID: to=<...>, relay=..., status=sent} for the queue ID the server gave. Read by
 * polling until a final status or the deadline: the log is written asynchronously.
 */
final class DeliveryLog {
    /** {@code sent} = delivered, {@code bounced} = final failure, null detail = nothing found in time. */
    record Outcome(boolean sent, String detail) {
    }

    private DeliveryLog() {
    }

    static Outcome await(Path log, String queueId, Duration timeout) throws InterruptedException {
        Pattern status = Pattern.compile(Pattern.quote(queueId) + ": (to=<[^>]*>, .*status=(\\w+).*)");
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = null;
        while (true) {
            try {
                for (String line : Files.readAllLines(log)) {
                    Matcher m = status.matcher(line);
                    if (m.find()) {
                        last = m.group(1);
                        if (m.group(2).equals("sent")) {
                            return new Outcome(true, last);
                        }
                        if (m.group(2).equals("bounced")) {
                            return new Outcome(false, last);
                        }
                    }
                }
            } catch (IOException e) {
                last = "cannot read the mail log " + log + ": " + e.getMessage();
            }
            if (System.nanoTime() >= deadline) {
                return new Outcome(false, last == null
                        ? "no delivery of " + queueId + " logged in " + log + " within " + timeout.toSeconds() + "s" : last);
            }
            Thread.sleep(200);
        }
    }
}
