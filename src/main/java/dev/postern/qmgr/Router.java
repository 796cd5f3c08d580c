package dev.postern.qmgr;

import dev.postern.mail.MailAddress;
import dev.postern.mail.ReversePath;
import dev.postern.maps.AddressSearch;
import dev.postern.maps.DomainList;
import dev.postern.maps.LookupException;
import dev.postern.maps.TableList;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * trivial-rewrite's resolve step (Postfix resolve.c and transport.c), for Postern's address
 * classes:
 * <ol>
 * <li>The class: a domain in mydestination is local (transport {@code local}); one in
 * virtual_alias_domains is the virtual alias class (transport {@code error}, "5.1.1 User unknown in
 * virtual alias table": cleanup's virtual_alias_maps already rewrote the known ones); one in relay_domains
 * uses relay_transport; any other the sender-dependent default transport
 * (sender_dependent_default_transport_maps, searched as the relayhost tables below; the null
 * sender as empty_address_default_transport_maps_lookup_key; {@code DUNNO} = none), else
 * default_transport.</li>
 * <li>Off-host classes only: the next hop is the sender-dependent relayhost
 * (sender_dependent_relayhost_maps searched with {@code user+ext@domain}, {@code user@domain},
 * the local part when the domain is local, {@code @domain}; the null sender as
 * empty_address_relayhost_maps_lookup_key; then, Postern's addition, {@code .parent} keys for
 * senders in subdomains; {@code DUNNO} = none), else relayhost, else the recipient domain.</li>
 * <li>A {@code :nexthop} in the class's transport parameter overrides that.</li>
 * <li>transport_maps overrides both ({@code user+ext@domain}, {@code user@domain}, {@code domain},
 * {@code .parent} or parent names per parent_domain_matches_subdomains, then {@code *}):
 * {@code transport:nexthop} sets both; {@code transport:} sets the transport and resets the next
 * hop to the recipient domain (for error and retry: "Address is undeliverable");
 * {@code :nexthop} keeps the transport; {@code :} changes nothing.</li>
 * </ol>
 * A table that cannot answer throws {@link LookupException}: the caller defers the recipient
 * ({@link Route#resolverFailure}), it is never routed by a lesser rule.
 */
public final class Router {
    /** A route and why: which tables and keys decided it, in human-readable lines. */
    public record Decision(Route route, Optional<TableList.Match> transportMatch,
                           Optional<TableList.Match> senderMatch, List<String> explanation) {
        public Decision {
            explanation = List.copyOf(explanation);
        }
    }

    private static final String LOCAL = "local";
    /** trivial-rewrite's reason for a virtual alias domain recipient that virtual_alias_maps does not know. */
    static final String VIRTUAL_UNKNOWN = "5.1.1 User unknown in virtual alias table";

    private final RouterSettings settings;
    private final TableList transportMaps;
    private final TableList senderMaps;
    private final TableList senderTransportMaps;
    private final AddressSearch search;
    private final boolean transportParentStyle;
    private final boolean relayDomainsParentStyle;
    private final DomainList virtualAliasDomains;

    /** @throws IllegalArgumentException naming the parameter and table for a table that cannot be opened */
    public Router(RouterSettings settings) {
        this.settings = settings;
        this.transportMaps = TableList.openNoSubstitution("transport_maps", settings.transportMaps());
        this.senderMaps = TableList.openNoSubstitution("sender_dependent_relayhost_maps",
                settings.senderDependentRelayhostMaps());
        this.senderTransportMaps = TableList.openNoSubstitution("sender_dependent_default_transport_maps",
                settings.senderDependentDefaultTransportMaps());
        String myorigin = settings.myorigin();
        this.search = new AddressSearch(settings.recipientDelimiter(),
                d -> d.equals(myorigin) || settings.mydestination().contains(d));
        this.transportParentStyle = AddressSearch.parentMatchesSubdomains(settings.parentDomainMatchesSubdomains(),
                "transport_maps");
        this.relayDomainsParentStyle = AddressSearch.parentMatchesSubdomains(
                settings.parentDomainMatchesSubdomains(), "relay_domains");
        this.virtualAliasDomains = DomainList.exact("virtual_alias_domains", settings.virtualAliasDomains());
    }

    /** Routing tables that cannot be read now: warnings for check and start (their mail would be deferred). */
    public List<String> unavailableTables() {
        List<String> out = new ArrayList<>(transportMaps.unavailable());
        out.addAll(virtualAliasDomains.unavailable());
        out.addAll(senderMaps.unavailable());
        out.addAll(senderTransportMaps.unavailable());
        return out;
    }

    /**
     * Transports named by default_transport, relay_transport and the entries of indexed
     * transport_maps that no delivery agent serves: warnings for check and start (Postfix would
     * defer such mail with "unknown mail transport"; a typo should not wait for the first message).
     */
    public List<String> unknownTransports(java.util.Set<String> known) {
        List<String> out = new ArrayList<>();
        for (String[] p : new String[][] {{"default_transport", settings.defaultTransport()},
            {"relay_transport", settings.relayTransport()}}) {
            String channel = p[1].indexOf(':') < 0 ? p[1] : p[1].substring(0, p[1].indexOf(':'));
            if (!known.contains(channel)) {
                out.add(p[0] + " = " + p[1] + ": unknown transport \"" + channel + "\"; known: " + String.join(", ",
                        new java.util.TreeSet<>(known)));
            }
        }
        unknownTransports(transportMaps, "transport_maps", false, known, out);
        unknownTransports(senderTransportMaps, "sender_dependent_default_transport_maps", true, known, out);
        return out;
    }

    /** @param senderTable a sender-dependent table: DUNNO is a value there (transport(5) has none), a bare :nexthop is not */
    private static void unknownTransports(TableList maps, String name, boolean senderTable, java.util.Set<String> known,
                                          List<String> out) {
        for (dev.postern.maps.LookupTable t : maps.tables()) {
            List<dev.postern.maps.TableEntries.Entry> entries;
            try {
                entries = dev.postern.maps.TableEntries.of(t.spec());
            } catch (IllegalArgumentException e) {
                continue; // unreadable now: reported by unavailableTables
            }
            for (dev.postern.maps.TableEntries.Entry e : entries) {
                String v = e.value().strip();
                int c = v.indexOf(':');
                String channel = c < 0 ? v : v.substring(0, c);
                if (senderTable && channel.isEmpty()) {
                    out.add(e.where(t.spec()) + ": " + name + " entry " + e.key() + " -> " + e.value()
                            + ": no transport (null transport is not allowed: its mail would be deferred); write transport:nexthop");
                } else if (!channel.isEmpty() && !channel.contains("$") && !(senderTable && channel.equalsIgnoreCase("DUNNO"))
                        && !known.contains(channel)) {
                    out.add(e.where(t.spec()) + ": " + name + " entry " + e.key() + " -> " + e.value()
                            + ": unknown transport \"" + channel + "\" (its mail would be deferred); known: "
                            + String.join(", ", new java.util.TreeSet<>(known)));
                }
            }
        }
    }

    public Route route(ReversePath sender, MailAddress recipient) throws LookupException {
        return decide(sender, recipient).route();
    }

    public Decision decide(ReversePath sender, MailAddress recipient) throws LookupException {
        List<String> why = new ArrayList<>();
        String domain = recipient.domainKey();
        String channel;
        String channelParam;
        String nexthop;
        Optional<TableList.Match> senderMatch = Optional.empty();
        boolean localClass = settings.mydestination().contains(domain);
        boolean virtualClass = !localClass && virtualAliasDomains.contains(domain);
        if (localClass) {
            channel = LOCAL;
            channelParam = "local class";
            nexthop = domain;
            why.add("address class: local (" + domain + " is in mydestination)");
        } else if (virtualClass) {
            // resolve.c: the virtual alias class goes to the error transport; cleanup already
            // rewrote every recipient virtual_alias_maps knows, so this one is unknown
            channel = "error";
            channelParam = "virtual alias class";
            nexthop = VIRTUAL_UNKNOWN;
            why.add("address class: virtual alias (" + domain + " is in virtual_alias_domains): no virtual_alias_maps entry");
        } else {
            boolean relayClass = relayDomain(domain);
            channelParam = relayClass ? "relay_transport" : "default_transport";
            channel = relayClass ? settings.relayTransport() : settings.defaultTransport();
            why.add(relayClass ? "address class: relay (" + domain + " is in relay_domains), " + channelParam + " = " + channel
                    : "address class: default (" + domain + " is neither local nor in relay_domains), " + channelParam
                    + " = " + channel);
            if (relayClass && !senderTransportMaps.isEmpty()) {
                why.add("sender_dependent_default_transport_maps: not consulted (relay class: relay_transport applies)");
            } else if (!relayClass) {
                Optional<TableList.Match> st = senderLookup(senderTransportMaps, sender,
                        settings.emptyAddressDefaultTransportMapsLookupKey(), "default_transport", why);
                String transport = st.map(m -> m.value().strip()).orElse("DUNNO");
                if (!transport.equalsIgnoreCase("DUNNO")) {
                    channel = transport;
                    channelParam = "sender_dependent_default_transport_maps";
                }
            }
            senderMatch = senderLookup(senderMaps, sender, settings.emptyAddressRelayhostMapsLookupKey(), "relayhost", why);
            String relay = senderMatch.map(m -> m.value().strip()).filter(v -> !v.equalsIgnoreCase("DUNNO")).orElse(null);
            if (relay != null) {
                nexthop = relay;
            } else if (!settings.relayhost().isEmpty()) {
                nexthop = settings.relayhost();
                why.add("relayhost = " + nexthop);
            } else {
                nexthop = domain;
                why.add("no relayhost: next hop is the recipient domain " + domain + " (MX lookup by the transport)");
            }
        }
        int colon = channel.indexOf(':');
        if (colon >= 0) {
            String dest = channel.substring(colon + 1);
            channel = channel.substring(0, colon);
            if (!dest.isEmpty()) {
                nexthop = dest;
                why.add(channelParam + " sets the next hop: " + dest);
            }
        }
        if (channel.isEmpty()) {
            throw new LookupException(channelParam, "parameter " + channelParam + ": null transport is not allowed", null);
        }
        // resolve.c: "Don't override the virtual alias class (error:User unknown) result."
        Optional<TableList.Match> tm = virtualClass ? Optional.empty() : transportLookup(recipient, why);
        if (tm.isPresent()) {
            String value = tm.get().value();
            int c = value.indexOf(':');
            String newChannel = c < 0 ? value : value.substring(0, c);
            String newNexthop = c < 0 ? "" : value.substring(c + 1);
            if (!newChannel.isEmpty()) {
                channel = newChannel;
                nexthop = !newNexthop.isEmpty() ? newNexthop
                        : channel.equals("error") || channel.equals("retry") ? "Address is undeliverable" : domain;
            } else if (!newNexthop.isEmpty()) {
                nexthop = newNexthop;
            }
        }
        Route route = new Route(channel, nexthop, channel.equals(LOCAL));
        why.add("result: transport " + channel + (channel.equals("error") || channel.equals("retry")
                ? ", reason " + nexthop : ", next hop " + nexthop));
        return new Decision(route, tm, senderMatch, why);
    }

    /** relay_domains: {@code .d} matches subdomains; {@code d} itself, and subdomains too under the parent style. */
    private boolean relayDomain(String domain) {
        return AddressSearch.inDomainList(settings.relayDomains(), domain, relayDomainsParentStyle);
    }

    /**
     * A sender-dependent table (relayhost or default transport): {@code user+ext@domain},
     * {@code user@domain}, the local part for a local domain, {@code @domain}; the null sender as
     * {@code nullKey}; then Postern's {@code .parent} keys. (An empty value never gets here: the
     * tables refuse it as a lookup error, so the mail is deferred, as Postfix's maps do.)
     * @param overrides what a match overrides, for the explanation: relayhost or default_transport
     */
    private Optional<TableList.Match> senderLookup(TableList maps, ReversePath sender, String nullKey, String overrides,
                                                   List<String> why) throws LookupException {
        if (maps.isEmpty()) {
            return Optional.empty();
        }
        String key = sender.isNull() ? nullKey : sender.toString();
        List<AddressSearch.Key> keys = search.keys(key, AddressSearch.DEFAULT);
        Optional<TableList.Match> m = AddressSearch.first(maps, keys);
        List<AddressSearch.Key> parents = List.of();
        if (m.isEmpty() && settings.senderParentDomainMatching() && !sender.isNull()) {
            parents = AddressSearch.dotParentKeys(key);
            m = AddressSearch.first(maps, parents);
        }
        if (m.isPresent()) {
            String v = m.get().value().strip();
            String effect = v.equalsIgnoreCase("DUNNO") ? " (DUNNO: " + overrides + " applies)" : " (overrides " + overrides + ")";
            why.add(m.get() + (parents.isEmpty() ? "" : " (parent-domain key: the sender is in a subdomain)") + effect);
        } else {
            List<AddressSearch.Key> all = new ArrayList<>(keys);
            all.addAll(parents);
            why.add(maps.parameter() + ": no match for <" + sender + ">; tried " + describe(all));
        }
        return m;
    }

    private Optional<TableList.Match> transportLookup(MailAddress recipient, List<String> why) throws LookupException {
        if (transportMaps.isEmpty()) {
            return Optional.empty();
        }
        List<AddressSearch.Key> keys = search.keys(recipient.toString(), AddressSearch.transport(transportParentStyle));
        Optional<TableList.Match> m = AddressSearch.first(transportMaps, keys);
        if (m.isEmpty()) {
            m = transportMaps.find("*", false);
        }
        if (m.isPresent()) {
            why.add(m.get() + " (overrides the above)");
        } else {
            why.add("transport_maps: no match for <" + recipient + ">; tried " + describe(keys) + ", *");
        }
        return m;
    }

    private static String describe(List<AddressSearch.Key> keys) {
        List<String> out = new ArrayList<>();
        for (AddressSearch.Key k : keys) {
            out.add(k.text());
        }
        return String.join(", ", out);
    }
}
