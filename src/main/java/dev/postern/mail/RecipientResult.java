package dev.postern.mail;

import java.time.Duration;

/**
 * The outcome for one recipient of a delivery attempt. {@code relay} is Postfix's
 * {@code host[addr]:port} or {@code none}; {@code dsn} the enhanced status (2.0.0, 4.4.1, 5.1.1);
 * {@code diagnostic} the text logged in {@code status=... (diagnostic)}; {@code connectSetup} and
 * {@code transmission} are the c and d parts of Postfix's {@code delays=a/b/c/d};
 * {@code connectionUse} is which transaction on its connection this was, logged by Postfix as
 * {@code conn_use=} when above 1 (a reused cached connection).
 */
public sealed interface RecipientResult {
    MailAddress recipient();

    String relay();

    String dsn();

    String diagnostic();

    Duration connectSetup();

    Duration transmission();

    int connectionUse();

    /** Postfix status word: sent, deferred, bounced. */
    String status();

    /**
     * {@code success} says what a NOTIFY=SUCCESS recipient is told (RFC 3461 §4.1, Postfix's
     * smtp_rcpt_done()): the next hop offered DSN and took the request over (PASSED_ON, no notice
     * from us), it did not (RELAYED, "Action: relayed"), or this was final delivery (DELIVERED).
     */
    record Sent(MailAddress recipient, String relay, String dsn, String diagnostic,
                Duration connectSetup, Duration transmission, int connectionUse, SuccessNotice success)
            implements RecipientResult {
        public Sent {
            success = success == null ? SuccessNotice.RELAYED : success;
        }

        /** Relayed to a next hop that did not take the DSN request over. */
        public Sent(MailAddress recipient, String relay, String dsn, String diagnostic,
                    Duration connectSetup, Duration transmission, int connectionUse) {
            this(recipient, relay, dsn, diagnostic, connectSetup, transmission, connectionUse, SuccessNotice.RELAYED);
        }

        /** On a new connection, or none. */
        public Sent(MailAddress recipient, String relay, String dsn, String diagnostic, Duration connectSetup,
                Duration transmission) {
            this(recipient, relay, dsn, diagnostic, connectSetup, transmission, 1);
        }

        public String status() {
            return "sent";
        }
    }

    record Deferred(MailAddress recipient, String relay, String dsn, String diagnostic,
                    Duration connectSetup, Duration transmission, int connectionUse) implements RecipientResult {
        /** On a new connection, or none. */
        public Deferred(MailAddress recipient, String relay, String dsn, String diagnostic, Duration connectSetup,
                Duration transmission) {
            this(recipient, relay, dsn, diagnostic, connectSetup, transmission, 1);
        }

        public String status() {
            return "deferred";
        }
    }

    record Bounced(MailAddress recipient, String relay, String dsn, String diagnostic,
                   Duration connectSetup, Duration transmission, int connectionUse) implements RecipientResult {
        /** On a new connection, or none. */
        public Bounced(MailAddress recipient, String relay, String dsn, String diagnostic, Duration connectSetup,
                Duration transmission) {
            this(recipient, relay, dsn, diagnostic, connectSetup, transmission, 1);
        }

        public String status() {
            return "bounced";
        }
    }

    /** What a sent recipient that asked NOTIFY=SUCCESS is told by us (see {@link Sent}). */
    enum SuccessNotice { PASSED_ON, RELAYED, DELIVERED }
}
