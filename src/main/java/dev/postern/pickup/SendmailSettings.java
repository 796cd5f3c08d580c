package dev.postern.pickup;

import dev.postern.config.Config;
import dev.postern.mail.MailAddress;
import dev.postern.rewrite.AddressRewriting;
import dev.postern.rewrite.RewriteSettings;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What sendmail reads. An address goes into maildrop/ as it was given ({@code root},
 * {@code host!user}, {@code user%host}, {@code joe@laptop}), as Postfix's postdrop writes it:
 * pickup and cleanup complete it in trivial-rewrite's local context ({@code @$myorigin} when
 * {@code append_at_myorigin} is yes, {@code swap_bangpath}, {@code allow_percent_hack},
 * {@code append_dot_mydomain}) and keep what was given as the original recipient. sendmail checks
 * that the completed form is an address first: Postern has no local delivery, so an address left
 * without a domain ({@code append_at_myorigin = no}) is refused rather than delivered nowhere.
 */
public record SendmailSettings(Path queueDirectory, String myhostname, RewriteSettings rewriting,
                               long messageSizeLimit, String banner) {
    /**
     * Room kept below message_size_limit for what pickup and cleanup add (Received, From,
     * Message-Id, Date): a message sendmail accepted must not be refused as too big later.
     */
    static final int HEADER_RESERVE = 2048;

    /** With only {@code @myorigin} completion (tests). */
    public SendmailSettings(Path queueDirectory, String myhostname, String myorigin, boolean appendAtMyorigin,
                            long messageSizeLimit, String banner) {
        this(queueDirectory, myhostname, new RewriteSettings(List.of(), Set.of(), List.of(), Set.of(), List.of(),
                Set.of(), List.of(), Set.of(), List.of(), List.of(), 1000, 1000, 1000, Set.of(), "", myorigin,
                List.of(), appendAtMyorigin, ""), messageSizeLimit, banner);
    }

    /** @throws IllegalArgumentException naming the parameter, for a value main.cf cannot have */
    public static SendmailSettings from(Config c) {
        return new SendmailSettings(Path.of(c.get("queue_directory")), c.get("myhostname"), RewriteSettings.from(c),
                c.size("message_size_limit"), c.get("smtpd_banner"));
    }

    /** The largest message sendmail accepts (0: no limit): message_size_limit less {@link #HEADER_RESERVE}. */
    public long contentLimit() {
        return messageSizeLimit <= 0 ? 0 : Math.max(1, messageSizeLimit - HEADER_RESERVE);
    }

    /**
     * The address as it goes into maildrop/ (stripped, otherwise as given), when cleanup can make
     * an envelope address of it; empty when it cannot be used (the caller says why, with
     * {@link #localForm}).
     */
    public Optional<String> accept(String address) {
        String a = address.strip();
        if (a.isEmpty() || a.length() > MailAddress.MAX_PATH || a.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
            return Optional.empty();
        }
        try {
            MailAddress.parse(localForm(a));
            return Optional.of(a);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** What cleanup makes of {@code address}: trivial-rewrite's local context, as main.cf says. */
    public String localForm(String address) {
        return AddressRewriting.localForm(rewriting, address.strip());
    }
}
