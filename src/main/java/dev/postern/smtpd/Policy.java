package dev.postern.smtpd;

import dev.postern.maps.AddressSearch;
import dev.postern.maps.DomainList;
import dev.postern.maps.LookupException;
import dev.postern.maps.LookupTable;
import dev.postern.maps.Maps;

import java.net.InetAddress;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The facts restrictions ask about: is the client in mynetworks, is its certificate fingerprint in
 * relay_clientcerts, is a recipient domain one we may receive for (mydestination, relay_domains).
 * Built once per listener from configuration; immutable and thread-safe.
 */
final class Policy {
    private final NetworkList mynetworks;
    private final LookupTable relayClientcerts;
    private final Set<String> localDomains;
    private final List<String> relayDomains;
    private final AddressSearch addressSearch;
    /** relay_domains listed in parent_domain_matches_subdomains: "example.com" covers its subdomains too. */
    private final boolean relayDomainsParentStyle;
    private final boolean accessParentStyle;
    /** The addresses of inet_interfaces, found once (permit_inet_interfaces; Postfix's own_inet_addr()). */
    private final Set<InetAddress> ownAddresses;
    /** virtual_alias_domains: authorized destinations, whose unknown recipients UnlistedRecipients refuses. */
    private final DomainList virtualAliasDomains;

    private Policy(NetworkList mynetworks, LookupTable relayClientcerts, Set<String> localDomains, List<String> relayDomains,
                   AddressSearch addressSearch, boolean accessParentStyle, boolean relayDomainsParentStyle,
                   Set<InetAddress> ownAddresses, DomainList virtualAliasDomains) {
        this.ownAddresses = ownAddresses;
        this.virtualAliasDomains = virtualAliasDomains;
        this.addressSearch = addressSearch;
        this.relayDomainsParentStyle = relayDomainsParentStyle;
        this.accessParentStyle = accessParentStyle;
        this.mynetworks = mynetworks;
        this.relayClientcerts = relayClientcerts;
        this.localDomains = localDomains;
        this.relayDomains = relayDomains;
    }

    static Policy from(RestrictionSettings s) {
        LookupTable certs = s.relayClientcerts().isBlank() ? null : Maps.open(s.relayClientcerts().strip());
        Set<String> local = s.mydestination().stream().map(d -> d.toLowerCase(Locale.ROOT))
                .collect(Collectors.toUnmodifiableSet());
        String myorigin = s.myorigin().toLowerCase(Locale.ROOT);
        return new Policy(NetworkList.of(s.mynetworks(), s.mynetworksStyle(), "mynetworks"), certs, local,
                s.relayDomains().stream().map(d -> d.toLowerCase(Locale.ROOT)).toList(),
                new AddressSearch(s.recipientDelimiter(), d -> d.equals(myorigin) || local.contains(d)),
                AddressSearch.parentMatchesSubdomains(s.parentDomainMatchesSubdomains(), "smtpd_access_maps"),
                AddressSearch.parentMatchesSubdomains(s.parentDomainMatchesSubdomains(), "relay_domains"),
                ownAddresses(s.inetInterfaces()),
                DomainList.exact("virtual_alias_domains", s.unlisted().virtualAliasDomains()));
    }

    /**
     * inet_interfaces as addresses: every address of every interface for "all", the loopback
     * addresses for "loopback-only", else the listed addresses (names resolved now, as Postfix does
     * at start; one that does not resolve matches nothing).
     */
    private static Set<InetAddress> ownAddresses(List<String> inetInterfaces) {
        Set<InetAddress> out = new java.util.HashSet<>();
        for (String i : inetInterfaces) {
            String w = i.toLowerCase(Locale.ROOT);
            try {
                if (w.equals("all")) {
                    for (java.net.NetworkInterface n : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
                        out.addAll(java.util.Collections.list(n.getInetAddresses()));
                    }
                } else if (w.equals("loopback-only") || w.equals("localhost")) {
                    out.add(InetAddress.getByName("127.0.0.1"));
                    out.add(InetAddress.getByName("::1"));
                } else {
                    out.addAll(List.of(InetAddress.getAllByName(w.replaceAll("^\\[|\\]$", ""))));
                }
            } catch (java.io.IOException e) {
                // an interface that cannot be listed or a name that does not resolve: no address
            }
        }
        // without the IPv6 zone, as the client address is compared
        Set<InetAddress> plain = new java.util.HashSet<>();
        for (InetAddress a : out) {
            try {
                plain.add(InetAddress.getByAddress(a.getAddress()));
            } catch (java.net.UnknownHostException e) {
                throw new IllegalStateException(e); // cannot happen: the address has a valid length
            }
        }
        return Set.copyOf(plain);
    }

    /** permit_inet_interfaces: the client's address is one of this host's inet_interfaces. */
    boolean ownAddress(CheckContext ctx) {
        InetAddress a = ctx.clientAddress();
        try {
            return a != null && ownAddresses.contains(InetAddress.getByAddress(a.getAddress()));
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    /** How access tables are searched (recipient_delimiter). */
    AddressSearch addressSearch() {
        return addressSearch;
    }

    /** Is smtpd_access_maps listed in parent_domain_matches_subdomains ({@code example.com} also matches subdomains)? */
    boolean accessParentStyle() {
        return accessParentStyle;
    }

    boolean inMynetworks(CheckContext ctx) throws LookupException {
        return mynetworks.contains(ctx.clientAddress());
    }

    /** permit_tls_clientcerts: public-key fingerprint first, then certificate fingerprint (Postfix ≥ 3.9). */
    boolean fingerprintListed(CheckContext ctx) throws LookupException {
        if (relayClientcerts == null || !ctx.tls() || !ctx.peer().presented()) {
            return false;
        }
        return relayClientcerts.lookup(ctx.peer().pkeyFingerprint()).isPresent()
                || relayClientcerts.lookup(ctx.peer().certFingerprint()).isPresent();
    }

    /**
     * True when the recipient's domain is local (mydestination), a virtual alias domain or a relay domain. relay_domains
     * entries match the domain itself; an entry with a leading dot also matches subdomains.
     */
    boolean authorizedDestination(CheckContext ctx) throws LookupException {
        String rcpt = ctx.recipient();
        int at = rcpt.lastIndexOf('@');
        String domain = rcpt.substring(at + 1).toLowerCase(Locale.ROOT);
        if (localDomains.contains(domain)) {
            return true;
        }
        return virtualAliasDomain(domain) || AddressSearch.inDomainList(relayDomains, domain, relayDomainsParentStyle);
    }

    /** The recipient's domain is local (mydestination): then it is not of the virtual alias class. */
    boolean localDomain(String domain) {
        return localDomains.contains(domain.toLowerCase(Locale.ROOT));
    }

    /** virtual_alias_domains (a table there that cannot answer throws). */
    boolean virtualAliasDomain(String domain) throws LookupException {
        return !virtualAliasDomains.isEmpty() && virtualAliasDomains.contains(domain);
    }
}
