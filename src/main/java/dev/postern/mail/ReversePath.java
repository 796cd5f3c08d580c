package dev.postern.mail;

import java.util.Optional;

/** The envelope sender: a mailbox, or the null sender {@code <>} used by bounces. */
public record ReversePath(Optional<MailAddress> mailbox) {

    public static final ReversePath NULL = new ReversePath(Optional.empty());

    public static ReversePath of(MailAddress address) {
        return new ReversePath(Optional.of(address));
    }

    /** Parses the text between the angle brackets; empty text is the null sender. */
    public static ReversePath parse(String text) {
        return text.isEmpty() ? NULL : of(MailAddress.parse(text));
    }

    public boolean isNull() {
        return mailbox.isEmpty();
    }

    /** The address as written in logs and queue files: empty for the null sender. */
    @Override
    public String toString() {
        return mailbox.map(MailAddress::toString).orElse("");
    }
}
