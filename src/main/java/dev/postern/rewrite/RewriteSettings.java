package dev.postern.rewrite;

import dev.postern.config.Config;

import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What cleanup's address rewriting reads (main.cf; Postfix's names and defaults). Tables are
 * {@code type:name} specs, opened by {@link AddressRewriting#open}. The last six are
 * trivial-rewrite's (rewrite.c): swap_bangpath, allow_percent_hack, append_dot_mydomain with
 * $mydomain, whether append_dot_mydomain's old default is in force unset (compatibility_level
 * below 1: each use is logged, as Postfix's warn_compat_break_app_dot_mydomain), and whether
 * "localhost" has an address class (that notice's variant for {@code user@localhost}).
 */
public record RewriteSettings(List<String> canonicalMaps, Set<AddressClass> canonicalClasses,
                              List<String> senderCanonicalMaps, Set<AddressClass> senderCanonicalClasses,
                              List<String> recipientCanonicalMaps, Set<AddressClass> recipientCanonicalClasses,
                              List<String> masqueradeDomains, Set<AddressClass> masqueradeClasses,
                              List<String> masqueradeExceptions,
                              List<String> virtualAliasMaps, int virtualAliasRecursionLimit,
                              int virtualAliasExpansionLimit, int virtualAliasAddressLengthLimit,
                              Set<String> propagateUnmatchedExtensions, String recipientDelimiter,
                              String myorigin, List<String> mydestination, boolean appendAtMyorigin,
                              String remoteHeaderRewriteDomain, boolean swapBangpath, boolean allowPercentHack,
                              boolean appendDotMydomain, String mydomain, boolean appendDotMydomainCompat,
                              boolean localhostHasClass) {

    /** The four address classes of canonical_classes and masquerade_classes. */
    public enum AddressClass {
        ENVELOPE_SENDER, ENVELOPE_RECIPIENT, HEADER_SENDER, HEADER_RECIPIENT;

        static Set<AddressClass> parse(String parameter, List<String> words) {
            Set<AddressClass> out = EnumSet.noneOf(AddressClass.class);
            for (String w : words) {
                try {
                    out.add(valueOf(w.toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(parameter + ": unknown address class \"" + w
                            + "\" (envelope_sender, envelope_recipient, header_sender or header_recipient)");
                }
            }
            return Set.copyOf(out);
        }
    }

    /** No rewriting at all (tests, tools); swap_bangpath, allow_percent_hack and append_dot_mydomain off. */
    public static final RewriteSettings NONE = new RewriteSettings(List.of(), Set.of(), List.of(), Set.of(), List.of(),
            Set.of(), List.of(), Set.of(), List.of(), List.of(), 1000, 1000, 1000, Set.of("canonical", "virtual"), "",
            "localhost", List.of(), true, "");

    /** Without trivial-rewrite's switches: swap_bangpath, allow_percent_hack and append_dot_mydomain off (tests). */
    public RewriteSettings(List<String> canonicalMaps, Set<AddressClass> canonicalClasses,
                           List<String> senderCanonicalMaps, Set<AddressClass> senderCanonicalClasses,
                           List<String> recipientCanonicalMaps, Set<AddressClass> recipientCanonicalClasses,
                           List<String> masqueradeDomains, Set<AddressClass> masqueradeClasses,
                           List<String> masqueradeExceptions,
                           List<String> virtualAliasMaps, int virtualAliasRecursionLimit,
                           int virtualAliasExpansionLimit, int virtualAliasAddressLengthLimit,
                           Set<String> propagateUnmatchedExtensions, String recipientDelimiter,
                           String myorigin, List<String> mydestination, boolean appendAtMyorigin,
                           String remoteHeaderRewriteDomain) {
        this(canonicalMaps, canonicalClasses, senderCanonicalMaps, senderCanonicalClasses, recipientCanonicalMaps,
                recipientCanonicalClasses, masqueradeDomains, masqueradeClasses, masqueradeExceptions, virtualAliasMaps,
                virtualAliasRecursionLimit, virtualAliasExpansionLimit, virtualAliasAddressLengthLimit,
                propagateUnmatchedExtensions, recipientDelimiter, myorigin, mydestination, appendAtMyorigin,
                remoteHeaderRewriteDomain, false, false, false, "", false, true);
    }

    public RewriteSettings {
        canonicalMaps = List.copyOf(canonicalMaps);
        senderCanonicalMaps = List.copyOf(senderCanonicalMaps);
        recipientCanonicalMaps = List.copyOf(recipientCanonicalMaps);
        masqueradeDomains = List.copyOf(masqueradeDomains);
        masqueradeExceptions = List.copyOf(masqueradeExceptions);
        virtualAliasMaps = List.copyOf(virtualAliasMaps);
        mydestination = List.copyOf(mydestination);
        propagateUnmatchedExtensions = Set.copyOf(propagateUnmatchedExtensions);
        for (String e : masqueradeExceptions) {
            if (e.contains(":")) {
                throw new IllegalArgumentException("masquerade_exceptions: \"" + e + "\": tables are not supported here;"
                        + " list the local parts (user names) themselves");
            }
        }
    }

    /**
     * From main.cf.
     * @throws IllegalArgumentException naming the parameter, for an unknown class or extension word
     */
    public static RewriteSettings from(Config c) {
        Set<String> propagate = Set.copyOf(c.list("propagate_unmatched_extensions").stream()
                .map(w -> w.toLowerCase(Locale.ROOT)).toList());
        return new RewriteSettings(
                c.list("canonical_maps"), AddressClass.parse("canonical_classes", c.list("canonical_classes")),
                c.list("sender_canonical_maps"), AddressClass.parse("sender_canonical_classes", c.list("sender_canonical_classes")),
                c.list("recipient_canonical_maps"), AddressClass.parse("recipient_canonical_classes", c.list("recipient_canonical_classes")),
                c.list("masquerade_domains"), AddressClass.parse("masquerade_classes", c.list("masquerade_classes")),
                c.list("masquerade_exceptions"),
                c.list("virtual_alias_maps"), c.integer("virtual_alias_recursion_limit"),
                c.integer("virtual_alias_expansion_limit"), c.integer("virtual_alias_address_length_limit"),
                propagate, c.get("recipient_delimiter"), c.get("myorigin"), c.list("mydestination"),
                c.bool("append_at_myorigin"), c.get("remote_header_rewrite_domain"),
                c.bool("swap_bangpath"), c.bool("allow_percent_hack"), c.bool("append_dot_mydomain"), c.get("mydomain"),
                compatLevelBelow1(c.get("compatibility_level")) && !c.isSet("append_dot_mydomain"),
                localhostHasClass(c));
    }

    /** mail_params.c: compat_level below COMPAT_LEVEL_1 (compat_level.c's "major[.minor[.patch]]" form). */
    static boolean compatLevelBelow1(String level) {
        String major = level.strip();
        int dot = major.indexOf('.');
        if (dot >= 0) {
            major = major.substring(0, dot);
        }
        try {
            return Long.parseLong(major) < 1;
        } catch (NumberFormatException e) {
            return false; // Postern's config check refuses a malformed level before this is read
        }
    }

    /**
     * resolve_class("localhost") is not RESOLVE_CLASS_DEFAULT: "localhost" is in mydestination,
     * virtual_alias_domains or relay_domains (as a name; an entry that is a table is not asked, it
     * only changes the wording of a log line).
     */
    private static boolean localhostHasClass(Config c) {
        for (String p : List.of("mydestination", "virtual_alias_domains", "relay_domains")) {
            for (String d : c.list(p)) {
                if (d.equalsIgnoreCase("localhost")) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * A master.cf cleanup service's rewriting: what Postfix's cleanup reads from its own line's -o
     * (the canonical and virtual tables and classes, masquerading, the expansion limits,
     * propagate_unmatched_extensions, recipient_delimiter) from {@code service}, and trivial-rewrite's
     * part (myorigin, mydomain, mydestination, append_at_myorigin, swap_bangpath, allow_percent_hack,
     * append_dot_mydomain) from main.cf's {@code main}: Postfix's cleanup asks the trivial-rewrite
     * service, which reads main.cf. remote_header_rewrite_domain stays main.cf's too: Postfix's cleanup
     * takes only "on or off" from its own value, the domain from trivial-rewrite's (main.cf), which
     * Postern's one setting cannot split.
     */
    public static RewriteSettings forCleanupService(RewriteSettings main, Config service) {
        RewriteSettings s = from(service);
        return new RewriteSettings(s.canonicalMaps, s.canonicalClasses, s.senderCanonicalMaps, s.senderCanonicalClasses,
                s.recipientCanonicalMaps, s.recipientCanonicalClasses, s.masqueradeDomains, s.masqueradeClasses,
                s.masqueradeExceptions, s.virtualAliasMaps, s.virtualAliasRecursionLimit, s.virtualAliasExpansionLimit,
                s.virtualAliasAddressLengthLimit, s.propagateUnmatchedExtensions, s.recipientDelimiter, main.myorigin,
                main.mydestination, main.appendAtMyorigin, main.remoteHeaderRewriteDomain, main.swapBangpath,
                main.allowPercentHack, main.appendDotMydomain, main.mydomain, main.appendDotMydomainCompat,
                main.localhostHasClass);
    }

    /** Nothing to rewrite: no tables and no masquerading (the message path pays nothing then). */
    public boolean isEmpty() {
        return canonicalMaps.isEmpty() && senderCanonicalMaps.isEmpty() && recipientCanonicalMaps.isEmpty()
                && masqueradeDomains.isEmpty() && virtualAliasMaps.isEmpty();
    }
}
