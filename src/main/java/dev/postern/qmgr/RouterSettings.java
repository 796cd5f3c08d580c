package dev.postern.qmgr;

import dev.postern.config.Config;
import dev.postern.maps.AddressSearch;

import java.util.List;
import java.util.Locale;

/**
 * What the router reads: relayhost, the default and relay transports, the local and relay
 * domains, transport_maps, sender_dependent_relayhost_maps, sender_dependent_default_transport_maps
 * and how tables are searched (recipient_delimiter, parent_domain_matches_subdomains,
 * empty_address_relayhost_maps_lookup_key, empty_address_default_transport_maps_lookup_key,
 * postern_sender_parent_domain_matching, myorigin) and virtual_alias_domains (whose recipients are
 * bounced: the ones virtual_alias_maps knows were rewritten by cleanup before they got here).
 */
public record RouterSettings(String relayhost, String defaultTransport, String relayTransport,
                             List<String> mydestination, List<String> relayDomains, List<String> transportMaps,
                             List<String> senderDependentRelayhostMaps, String recipientDelimiter,
                             List<String> parentDomainMatchesSubdomains, String emptyAddressRelayhostMapsLookupKey,
                             boolean senderParentDomainMatching, String myorigin,
                             List<String> senderDependentDefaultTransportMaps, String emptyAddressDefaultTransportMapsLookupKey,
                             List<String> virtualAliasDomains) {
    public RouterSettings {
        mydestination = mydestination.stream().map(d -> d.toLowerCase(Locale.ROOT)).toList();
        relayDomains = relayDomains.stream().map(d -> d.toLowerCase(Locale.ROOT)).toList();
        myorigin = myorigin.toLowerCase(Locale.ROOT);
    }

    /** Without sender_dependent_default_transport_maps. */
    public RouterSettings(String relayhost, String defaultTransport, String relayTransport,
                          List<String> mydestination, List<String> relayDomains, List<String> transportMaps,
                          List<String> senderDependentRelayhostMaps, String recipientDelimiter,
                          List<String> parentDomainMatchesSubdomains, String emptyAddressRelayhostMapsLookupKey,
                          boolean senderParentDomainMatching, String myorigin) {
        this(relayhost, defaultTransport, relayTransport, mydestination, relayDomains, transportMaps, senderDependentRelayhostMaps,
                recipientDelimiter, parentDomainMatchesSubdomains, emptyAddressRelayhostMapsLookupKey, senderParentDomainMatching,
                myorigin, List.of(), "<>", List.of());
    }

    /** Without virtual_alias_domains. */
    public RouterSettings(String relayhost, String defaultTransport, String relayTransport,
                          List<String> mydestination, List<String> relayDomains, List<String> transportMaps,
                          List<String> senderDependentRelayhostMaps, String recipientDelimiter,
                          List<String> parentDomainMatchesSubdomains, String emptyAddressRelayhostMapsLookupKey,
                          boolean senderParentDomainMatching, String myorigin,
                          List<String> senderDependentDefaultTransportMaps, String emptyAddressDefaultTransportMapsLookupKey) {
        this(relayhost, defaultTransport, relayTransport, mydestination, relayDomains, transportMaps, senderDependentRelayhostMaps,
                recipientDelimiter, parentDomainMatchesSubdomains, emptyAddressRelayhostMapsLookupKey, senderParentDomainMatching,
                myorigin, senderDependentDefaultTransportMaps, emptyAddressDefaultTransportMapsLookupKey, List.of());
    }

    /** Class-based routing only: no tables, Postfix's other defaults. */
    public RouterSettings(String relayhost, String defaultTransport, String relayTransport, List<String> mydestination,
                          List<String> relayDomains) {
        this(relayhost, defaultTransport, relayTransport, mydestination, relayDomains, List.of(), List.of(), "",
                AddressSearch.PARENT_DOMAIN_MATCHES_SUBDOMAINS_DEFAULT, "<>", true, "");
    }

    public static RouterSettings from(Config c) {
        return new RouterSettings(c.get("relayhost"), c.get("default_transport"), c.get("relay_transport"),
                c.list("mydestination"), c.list("relay_domains"), c.list("transport_maps"),
                c.list("sender_dependent_relayhost_maps"), c.get("recipient_delimiter"),
                c.list("parent_domain_matches_subdomains"), c.get("empty_address_relayhost_maps_lookup_key"),
                c.bool("postern_sender_parent_domain_matching"), c.get("myorigin"),
                c.list("sender_dependent_default_transport_maps"), c.get("empty_address_default_transport_maps_lookup_key"),
                c.list("virtual_alias_domains"));
    }
}
