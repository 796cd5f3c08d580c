package dev.postern.pickup;

import dev.postern.config.Config;

import java.nio.file.Path;
import java.util.Optional;

/**
 * What sendmail reads. {@code myorigin} is appended to addresses without a domain when
 * {@code append_at_myorigin} is yes (Postfix's default); Postern has no local delivery, so with
 * {@code append_at_myorigin = no} such an address is refused rather than delivered nowhere.
 */
public record SendmailSettings(Path queueDirectory, String myhostname, String myorigin, boolean appendAtMyorigin,
                               long messageSizeLimit, String banner) {
    /**
     * Room kept below message_size_limit for what pickup and cleanup add (Received, From,
     * Message-Id, Date): a message sendmail accepted must not be refused as too big later.
     */
    static final int HEADER_RESERVE = 2048;

    public static SendmailSettings from(Config c) {
        return new SendmailSettings(Path.of(c.get("queue_directory")), c.get("myhostname"), c.get("myorigin"),
                c.bool("append_at_myorigin"), c.size("message_size_limit"), c.get("smtpd_banner"));
    }

    /** The largest message sendmail accepts (0: no limit): message_size_limit less {@link #HEADER_RESERVE}. */
    public long contentLimit() {
        return messageSizeLimit <= 0 ? 0 : Math.max(1, messageSizeLimit - HEADER_RESERVE);
    }

    /**
     * The address as it goes into the envelope: {@code user} becomes {@code user@$myorigin};
     * empty when it cannot be used (the caller says why).
     */
    public Optional<String> qualify(String address) {
        String a = address.strip();
        if (a.isEmpty()) {
            return Optional.empty();
        }
        if (a.indexOf('@') < 0) {
            return appendAtMyorigin && !myorigin.isEmpty() ? Optional.of(a + "@" + myorigin) : Optional.empty();
        }
        return Optional.of(a);
    }
}
