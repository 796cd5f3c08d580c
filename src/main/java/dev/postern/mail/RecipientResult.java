package dev.postern.mail;

import java.time.Duration;

/**
 * The outcome for one recipient of a delivery attempt. {@code relay} is Postfix's
 * {@code host[addr]:port} or {@code none}; {@code dsn} the enhanced status (2.0.0, 4.4.1, 5.1.1);
 * {@code diagnostic} the text logged in {@code status=... (diagnostic)}; {@code connectSetup} and
 * {@code transmission} are the c and d parts of Postfix's {@code delays=a/b/c/d}.
 */
public sealed interface RecipientResult {
    MailAddress recipient();

    String relay();

    String dsn();

    String diagnostic();

    Duration connectSetup();

    Duration transmission();

    /** Postfix status word: sent, deferred, bounced. */
    String status();

    record Sent(MailAddress recipient, String relay, String dsn, String diagnostic,
                Duration connectSetup, Duration transmission) implements RecipientResult {
        public String status() {
            return "sent";
        }
    }

    record Deferred(MailAddress recipient, String relay, String dsn, String diagnostic,
                    Duration connectSetup, Duration transmission) implements RecipientResult {
        public String status() {
            return "deferred";
        }
    }

    record Bounced(MailAddress recipient, String relay, String dsn, String diagnostic,
                   Duration connectSetup, Duration transmission) implements RecipientResult {
        public String status() {
            return "bounced";
        }
    }
}
