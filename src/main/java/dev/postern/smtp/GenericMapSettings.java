package dev.postern.smtp;

import dev.postern.config.Config;

import java.util.List;
import java.util.Locale;

/**
 * What smtp_generic_maps needs (Postfix's smtp.c and mail_addr_find()): the tables, the
 * recipient_delimiter that splits an extension off, the local domains whose bare user name is
 * also a key ($myorigin and $mydestination), whether an unmatched extension is carried over
 * (propagate_unmatched_extensions lists {@code generic}; Postfix's default does not), and the
 * domain a result without one gets ({@code @$myorigin}, none with append_at_myorigin = no), and
 * the rest of trivial-rewrite's local context every table result goes through (Postfix's
 * mail_addr_map() asks trivial-rewrite: swap_bangpath, allow_percent_hack, append_dot_mydomain
 * with $mydomain).
 * Table specs only: {@link GenericMaps} opens them, so equal settings mean an unchanged agent.
 */
public record GenericMapSettings(List<String> maps, String recipientDelimiter, String myorigin, List<String> mydestination,
                                 boolean appendAtMyorigin, boolean propagate, String mydomain, boolean swapBangpath,
                                 boolean allowPercentHack, boolean appendDotMydomain) {
    public static final GenericMapSettings NONE = new GenericMapSettings(List.of(), "", "localhost", List.of(), true, false);

    /** Results completed with {@code @$myorigin} only. */
    public GenericMapSettings(List<String> maps, String recipientDelimiter, String myorigin, List<String> mydestination,
                              boolean appendAtMyorigin, boolean propagate) {
        this(maps, recipientDelimiter, myorigin, mydestination, appendAtMyorigin, propagate, "", false, false, false);
    }

    public GenericMapSettings {
        maps = List.copyOf(maps);
        mydestination = List.copyOf(mydestination);
    }

    /** From the transport's configuration (main.cf and its master.cf line's -o). */
    public static GenericMapSettings from(Config c) {
        boolean propagate = c.list("propagate_unmatched_extensions").stream()
                .anyMatch(w -> w.toLowerCase(Locale.ROOT).equals("generic"));
        return new GenericMapSettings(c.list("smtp_generic_maps"), c.get("recipient_delimiter"), c.get("myorigin"),
                c.list("mydestination"), c.bool("append_at_myorigin"), propagate, c.get("mydomain"), c.bool("swap_bangpath"),
                c.bool("allow_percent_hack"), c.bool("append_dot_mydomain"));
    }

    public boolean isEmpty() {
        return maps.isEmpty();
    }
}
