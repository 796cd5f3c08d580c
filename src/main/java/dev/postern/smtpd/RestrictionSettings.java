package dev.postern.smtpd;

import dev.postern.config.Config;
import dev.postern.maps.AddressSearch;

import java.util.List;

/**
 * The restriction lists and the tables and networks they consult, as configured.
 * {@code mynetworks} is null when not set: then mynetworks_style decides. {@code inetInterfaces}
 * is what permit_inet_interfaces matches; {@code localHeaderRewriteClients} is
 * local_header_rewrite_clients ({@link HeaderRewriteClients}).
 */
public record RestrictionSettings(List<String> client, List<String> helo, List<String> sender,
                                  List<String> relay, List<String> recipient, List<String> data,
                                  List<String> mynetworks, String mynetworksStyle, List<String> mydestination,
                                  List<String> relayDomains, String relayClientcerts, String fingerprintDigest,
                                  boolean relayBeforeRecipient, String recipientDelimiter,
                                  List<String> parentDomainMatchesSubdomains, String myorigin,
                                  List<String> inetInterfaces, List<String> localHeaderRewriteClients,
                                  Unlisted unlisted) {

    /**
     * smtpd_reject_unlisted_recipient for the virtual alias class (Postfix's check_rcpt_maps()):
     * a recipient in virtual_alias_domains that none of these tables knows is refused with
     * {@code code} 5.1.1 "User unknown" (and " in virtual alias table" with {@code showTable}).
     */
    public record Unlisted(boolean reject, List<String> virtualAliasDomains, List<String> recipientCanonicalMaps,
                           List<String> canonicalMaps, List<String> virtualAliasMaps, int code, boolean showTable) {
        /** Nothing refused: no virtual alias domains. */
        public static final Unlisted NONE = new Unlisted(true, List.of(), List.of(), List.of(), List.of(), 550, true);

        /**
         * The address class comes from {@code main} (main.cf), as Postfix's smtpd asks trivial-rewrite,
         * which reads main.cf: an smtpd line's {@code -o virtual_alias_domains} must not make a
         * domain an authorized destination that the router then relays. Whether to check (and the
         * reply) is the service's: smtpd_reject_unlisted_recipient, receive_override_options =
         * no_unknown_recipient_checks, unknown_virtual_alias_reject_code, show_user_unknown_table_name.
         */
        static Unlisted from(Config service, Config main) {
            return new Unlisted(service.bool("smtpd_reject_unlisted_recipient")
                    && !service.list("receive_override_options").contains("no_unknown_recipient_checks"),
                    main.list("virtual_alias_domains"), main.list("recipient_canonical_maps"), main.list("canonical_maps"),
                    main.list("virtual_alias_maps"), service.integer("unknown_virtual_alias_reject_code"),
                    service.bool("show_user_unknown_table_name"));
        }
    }

    /** Without virtual alias domains. */
    public RestrictionSettings(List<String> client, List<String> helo, List<String> sender, List<String> relay,
                               List<String> recipient, List<String> data, List<String> mynetworks,
                               String mynetworksStyle, List<String> mydestination, List<String> relayDomains,
                               String relayClientcerts, String fingerprintDigest, boolean relayBeforeRecipient,
                               String recipientDelimiter, List<String> parentDomainMatchesSubdomains, String myorigin,
                               List<String> inetInterfaces, List<String> localHeaderRewriteClients) {
        this(client, helo, sender, relay, recipient, data, mynetworks, mynetworksStyle, mydestination, relayDomains,
                relayClientcerts, fingerprintDigest, relayBeforeRecipient, recipientDelimiter,
                parentDomainMatchesSubdomains, myorigin, inetInterfaces, localHeaderRewriteClients, Unlisted.NONE);
    }

    /** With Postfix's inet_interfaces and local_header_rewrite_clients defaults. */
    public RestrictionSettings(List<String> client, List<String> helo, List<String> sender, List<String> relay,
                               List<String> recipient, List<String> data, List<String> mynetworks,
                               String mynetworksStyle, List<String> mydestination, List<String> relayDomains,
                               String relayClientcerts, String fingerprintDigest, boolean relayBeforeRecipient,
                               String recipientDelimiter, List<String> parentDomainMatchesSubdomains, String myorigin) {
        this(client, helo, sender, relay, recipient, data, mynetworks, mynetworksStyle, mydestination, relayDomains,
                relayClientcerts, fingerprintDigest, relayBeforeRecipient, recipientDelimiter,
                parentDomainMatchesSubdomains, myorigin, List.of("all"), List.of("permit_inet_interfaces"));
    }

    /** Without the address-search settings: no recipient_delimiter, Postfix's parent_domain_matches_subdomains. */
    public RestrictionSettings(List<String> client, List<String> helo, List<String> sender, List<String> relay,
                               List<String> recipient, List<String> data, List<String> mynetworks,
                               String mynetworksStyle, List<String> mydestination, List<String> relayDomains,
                               String relayClientcerts, String fingerprintDigest, boolean relayBeforeRecipient) {
        this(client, helo, sender, relay, recipient, data, mynetworks, mynetworksStyle, mydestination, relayDomains,
                relayClientcerts, fingerprintDigest, relayBeforeRecipient, "",
                AddressSearch.PARENT_DOMAIN_MATCHES_SUBDOMAINS_DEFAULT, "");
    }

    /** @param main main.cf without the service's -o: where the virtual alias class comes from (see {@link Unlisted#from}) */
    public static RestrictionSettings from(Config c, Config main) {
        return new RestrictionSettings(c.list("smtpd_client_restrictions"), c.list("smtpd_helo_restrictions"),
                c.list("smtpd_sender_restrictions"), c.list("smtpd_relay_restrictions"),
                c.list("smtpd_recipient_restrictions"), c.list("smtpd_data_restrictions"),
                c.isSet("mynetworks") ? c.list("mynetworks") : null, c.get("mynetworks_style"),
                // the address class is main.cf's, as the router's (Postfix's smtpd asks trivial-rewrite):
                // an -o mydestination or relay_domains must not accept mail the router then relays
                main.list("mydestination"), main.list("relay_domains"), c.get("relay_clientcerts"), c.get("smtpd_tls_fingerprint_digest"),
                c.bool("smtpd_relay_before_recipient_restrictions"), c.get("recipient_delimiter"),
                c.list("parent_domain_matches_subdomains"), c.get("myorigin"), c.list("inet_interfaces"),
                c.list("local_header_rewrite_clients"), Unlisted.from(c, main));
    }
}
