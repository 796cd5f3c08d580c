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
    public static SendmailSettings from(Config c) {
        return new SendmailSettings(Path.of(c.get("queue_directory")), c.get("myhostname"), c.get("myorigin"),
                c.bool("append_at_myorigin"), c.size("message_size_limit"), c.get("smtpd_banner"));
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
