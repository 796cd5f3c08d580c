package dev.postern.maps;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The one place that decides which keys an address, a domain or a network address is looked up
 * as, in which order: Postfix's mail_addr_find(), and smtpd_check.c's check_domain_access() and
 * check_addr_access(). Each step asks every table of the {@link TableList} before the next step;
 * partial keys only go to fixed-string tables.
 *
 * <p>The address steps, in Postfix's order ({@link Find}): the full address
 * ({@code user+ext@domain}); without the extension ({@code user@domain}, when recipient_delimiter
 * is set); the local part alone ({@code user+ext}, {@code user}) when the domain is $myorigin or
 * local; {@code @domain}; the domain and then its parents, as bare names ({@code example.com},
 * {@code com}) when the feature is listed in parent_domain_matches_subdomains, else as
 * {@code .example.com}, {@code .com}; {@code user+ext@}, {@code user@}. Callers pick the steps
 * their Postfix counterpart uses: {@link #access}, {@link #transport}, {@link #DEFAULT}; the
 * {@code keys} methods list the keys, {@link #first} looks them up.
 */
public final class AddressSearch {
    /** The mail_addr_find() strategy flags, in the order the steps run. */
    public enum Find {
        /** {@code user+ext@domain}, asked of every table. */
        FULL,
        /** {@code user@domain} when the address had an extension. */
        NOEXT,
        /** {@code user+ext}, then {@code user}, when the domain is $myorigin or local. */
        LOCALPART_IF_LOCAL,
        /** {@code @domain}. */
        AT_DOMAIN,
        /** {@code domain}. */
        DOMAIN,
        /** With DOMAIN: then {@code parent.domain}, {@code domain} (bare parent names). */
        PARENT_DOMAINS,
        /** With DOMAIN: then {@code .parent.domain}, {@code .domain}. */
        DOT_PARENT_DOMAINS,
        /** {@code user+ext@}, then {@code user@}, whatever the domain. */
        LOCALPART_AT
    }

    /** MA_FIND_DEFAULT: sender_dependent_relayhost_maps and most address tables. */
    public static final Set<Find> DEFAULT = Set.copyOf(EnumSet.of(Find.FULL, Find.NOEXT, Find.LOCALPART_IF_LOCAL,
            Find.AT_DOMAIN));

    /** Postfix's parent_domain_matches_subdomains default (the same at every compatibility_level, 3.7 to 3.12). */
    public static final List<String> PARENT_DOMAIN_MATCHES_SUBDOMAINS_DEFAULT = List.of("debug_peer_list",
            "fast_flush_domains", "mynetworks", "permit_mx_backup_networks", "qmqpd_authorized_clients",
            "relay_domains", "smtpd_access_maps");

    private static final Set<Find> ACCESS_EXPLICIT = Set.copyOf(EnumSet.of(Find.FULL, Find.NOEXT, Find.DOMAIN,
            Find.DOT_PARENT_DOMAINS, Find.LOCALPART_AT));
    private static final Set<Find> ACCESS_PARENT = Set.copyOf(EnumSet.of(Find.FULL, Find.NOEXT, Find.DOMAIN,
            Find.PARENT_DOMAINS, Find.LOCALPART_AT));

    private final String delimiters;
    private final Predicate<String> localDomain;

    /**
     * @param recipientDelimiter recipient_delimiter: the characters any of which starts an extension ("" = none)
     * @param localDomain true for a domain that is $myorigin or local (mydestination), lower-case
     */
    public AddressSearch(String recipientDelimiter, Predicate<String> localDomain) {
        this.delimiters = recipientDelimiter == null ? "" : recipientDelimiter;
        this.localDomain = localDomain;
    }

    /** match_parent_style(): is {@code feature} listed in parent_domain_matches_subdomains? */
    public static boolean parentMatchesSubdomains(List<String> parentDomainMatchesSubdomains, String feature) {
        return parentDomainMatchesSubdomains.stream().anyMatch(f -> f.equalsIgnoreCase(feature));
    }

    /**
     * A domain list such as relay_domains (already lower case): {@code .d} matches subdomains of d;
     * {@code d} matches d itself, and its subdomains too when the list's feature is in
     * parent_domain_matches_subdomains ({@code parentStyle}), as Postfix's domain lists do.
     */
    public static boolean inDomainList(List<String> list, String domain, boolean parentStyle) {
        for (String d : list) {
            if (d.startsWith(".") ? domain.endsWith(d) : domain.equals(d) || (parentStyle && domain.endsWith("." + d))) {
                return true;
            }
        }
        return false;
    }

    /** check_mail_access() (check_sender_access, check_recipient_access): feature smtpd_access_maps. */
    public static Set<Find> access(boolean parentStyle) {
        return parentStyle ? ACCESS_PARENT : ACCESS_EXPLICIT;
    }

    /** transport_lookup(): feature transport_maps; the {@code *} wildcard is the caller's last resort. */
    public static Set<Find> transport(boolean parentStyle) {
        return Set.copyOf(EnumSet.of(Find.FULL, Find.NOEXT, Find.DOMAIN,
                parentStyle ? Find.PARENT_DOMAINS : Find.DOT_PARENT_DOMAINS));
    }

    /** One key to try; a partial key is only asked of fixed-string tables. */
    public record Key(String text, boolean partial) {
    }

    /** mail_addr_find_opt(): the first match of the steps in {@code how}, in Postfix's order. */
    public Optional<TableList.Match> find(TableList tables, String address, Set<Find> how) throws LookupException {
        return first(tables, keys(address, how));
    }

    /** The keys {@link #find} tries, in order (what {@code postern route} shows when nothing matched). */
    public List<Key> keys(String address, Set<Find> how) {
        List<Key> keys = new ArrayList<>();
        String bare = how.contains(Find.NOEXT) ? stripExtension(address) : null;
        if (how.contains(Find.FULL)) {
            keys.add(new Key(address, false));
        }
        if (bare != null) {
            keys.add(new Key(bare, true));
        }
        int at = address.lastIndexOf('@');
        if (at < 0) {
            return keys;
        }
        String domain = address.substring(at + 1);
        if (how.contains(Find.LOCALPART_IF_LOCAL) && localDomain.test(domain.toLowerCase(Locale.ROOT))) {
            localKeys(keys, address, bare, false);
        }
        if (how.contains(Find.AT_DOMAIN)) {
            keys.add(new Key(address.substring(at), true));
        }
        if (how.contains(Find.DOMAIN)) {
            domainKeys(keys, domain, true, how.contains(Find.PARENT_DOMAINS), how.contains(Find.DOT_PARENT_DOMAINS));
        }
        if (how.contains(Find.LOCALPART_AT)) {
            localKeys(keys, address, bare, true);
        }
        return keys;
    }

    /**
     * Postern's sender parent-domain keys (not in Postfix): {@code .x.example.com}, then
     * {@code .example.com}, then {@code .com} for a sender in {@code y.x.example.com}; the sender's
     * own domain is never tried as {@code .domain} (that key means "subdomains of").
     */
    public static List<Key> dotParentKeys(String address) {
        List<Key> keys = new ArrayList<>();
        int at = address.lastIndexOf('@');
        if (at < 0) {
            return keys;
        }
        String name = address.substring(at + 1);
        int dot;
        while ((dot = name.indexOf('.', 1)) > 0) {
            name = name.substring(dot);
            keys.add(new Key(name, true));
        }
        return keys;
    }

    /**
     * check_domain_access(): a host or HELO name, then its parents ({@code .parent} keys, or bare
     * parent names when {@code parentStyle}); the name itself is asked of every table. A name in
     * network-address form gets no parent lookups.
     */
    public static List<Key> hostNameKeys(String name, boolean parentStyle) {
        List<Key> keys = new ArrayList<>();
        if (looksNumeric(name)) {
            keys.add(new Key(name, false));
        } else {
            domainKeys(keys, name, false, parentStyle, !parentStyle);
        }
        return keys;
    }

    /**
     * check_addr_access(): the address, then shorter prefixes cut at the last '.' (IPv4:
     * {@code 1.2.3.4}, {@code 1.2.3}, {@code 1.2}, {@code 1}) or ':' (IPv6, as Postfix prints it:
     * {@code 2001:db8::1}, {@code 2001:db8:}, {@code 2001:db8}, {@code 2001}); prefixes are
     * partial keys.
     */
    public static List<Key> hostAddressKeys(String address) {
        List<Key> keys = new ArrayList<>();
        char delim = address.indexOf(':') >= 0 ? ':' : '.';
        String key = address;
        keys.add(new Key(key, false));
        int cut;
        while ((cut = key.lastIndexOf(delim)) >= 0) {
            key = key.substring(0, cut);
            keys.add(new Key(key, true));
        }
        return keys;
    }

    /** The first table answer for the keys, in order. */
    public static Optional<TableList.Match> first(TableList tables, List<Key> keys) throws LookupException {
        for (Key k : keys) {
            Optional<TableList.Match> r = tables.find(k.text(), k.partial());
            if (r.isPresent()) {
                return r;
            }
        }
        return Optional.empty();
    }

    private static void domainKeys(List<Key> keys, String domain, boolean partialFirst, boolean parents,
                                   boolean dotParents) {
        String name = domain;
        keys.add(new Key(name, partialFirst));
        if (!(parents || dotParents)) {
            return;
        }
        int dot;
        while ((dot = name.indexOf('.', 1)) >= 0) {
            name = dotParents ? name.substring(dot) : name.substring(dot + 1);
            if (name.isEmpty()) {
                return;
            }
            keys.add(new Key(name, true));
        }
    }

    /** find_local(): {@code user+ext} (or {@code user+ext@}), then the same without the extension. */
    private static void localKeys(List<Key> keys, String address, String bare, boolean withAt) {
        int at = address.lastIndexOf('@');
        keys.add(new Key(address.substring(0, withAt ? at + 1 : at), true));
        if (bare != null) {
            int bat = bare.lastIndexOf('@');
            keys.add(new Key(bare.substring(0, withAt ? bat + 1 : bat), true));
        }
    }

    /**
     * strip_addr_internal() / split_addr(): the address without its extension, or null when it has
     * none. As Postfix: postmaster, mailer-daemon and double-bounce are never split, nor owner-x
     * and x-request when '-' is a delimiter, nor an address whose local part would become empty.
     */
    public String stripExtension(String address) {
        if (delimiters.isEmpty()) {
            return null;
        }
        int at = address.lastIndexOf('@');
        String local = at < 0 ? address : address.substring(0, at);
        String lower = local.toLowerCase(Locale.ROOT);
        if (lower.equals("postmaster") || lower.equals("mailer-daemon") || lower.equals("double-bounce")) {
            return null;
        }
        if (delimiters.indexOf('-') >= 0 && (lower.startsWith("owner-")
                || (lower.length() > 8 && lower.endsWith("-request")))) {
            return null;
        }
        int cut = -1;
        for (int i = 0; i < local.length(); i++) {
            if (delimiters.indexOf(local.charAt(i)) >= 0) {
                cut = i;
                break;
            }
        }
        if (cut <= 0) {
            return null;
        }
        return local.substring(0, cut) + (at < 0 ? "" : address.substring(at));
    }

    /** valid_hostaddr(): IPv4 dotted quad or IPv6 text (no subdomain magic for those). */
    private static boolean looksNumeric(String name) {
        if (name.indexOf(':') >= 0) {
            return true;
        }
        return name.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    }
}
