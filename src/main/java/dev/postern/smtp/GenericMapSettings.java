package dev.postern.smtp;

import dev.postern.config.Config;

import java.util.List;
import java.util.Locale;

/**
 * What smtp_generic_maps needs (Postfix's smtp.c and mail_addr_find()): the tables, the
 * recipient_delimiter that splits an extension off, the local domains whose bare user name is
 * also a key ($myorigin and $mydestination), whether an unmatched extension is carried over
 * (propagate_unmatched_extensions lists {@code generic}; Postfix's default does not), and the
 * domain a result without one gets ({@code @$myorigin}, none with append_at_myorigin = no).
 * Table specs only: {@link GenericMaps} opens them, so equal settings mean an unchanged agent.
 */
public record GenericMapSettings(List<String> maps, String recipientDelimiter, String myorigin, List<String> mydestination,
                                 boolean appendAtMyorigin, boolean propagate) {
    public static final GenericMapSettings NONE = new GenericMapSettings(List.of(), "", "localhost", List.of(), true, false);

    public GenericMapSettings {
        maps = List.copyOf(maps);
        mydestination = List.copyOf(mydestination);
    }

    /** From the transport's configuration (main.cf and its master.cf line's -o). */
    public static GenericMapSettings from(Config c) {
        boolean propagate = c.list("propagate_unmatched_extensions").stream()
                .anyMatch(w -> w.toLowerCase(Locale.ROOT).equals("generic"));
        return new GenericMapSettings(c.list("smtp_generic_maps"), c.get("recipient_delimiter"), c.get("myorigin"),
                c.list("mydestination"), c.bool("append_at_myorigin"), propagate);
    }

    public boolean isEmpty() {
        return maps.isEmpty();
    }
}
