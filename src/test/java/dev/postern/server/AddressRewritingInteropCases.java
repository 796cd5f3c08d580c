package dev.postern.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The tables, settings and SMTP transactions of {@link AddressRewritingInteropTest}: two
 * configurations ({@link Config}), each a list of cases; each case one SMTP session (one message,
 * its own Message-ID) to one of three smtpd services.
 */
final class AddressRewritingInteropCases {
    private AddressRewritingInteropCases() {}

    /**
     * The smtpd service a case talks to: {@code LOCAL} a client in local_header_rewrite_clients
     * (127.0.0.1 is an inet interface), {@code REMOTE} a service whose local_header_rewrite_clients
     * (permit_sasl_authenticated, no SASL) matches nobody, {@code NO_MAPPINGS} a service with
     * receive_override_options = no_address_mappings.
     */
    enum Service {
        LOCAL(""),
        REMOTE("-o local_header_rewrite_clients=permit_sasl_authenticated"),
        NO_MAPPINGS("-o receive_override_options=no_address_mappings");

        final String options;

        Service(String options) {
            this.options = options;
        }
    }

    /**
     * @param headers the message's header lines (LF-ended) before its Message-ID; the body is one line
     * @param postern what Postern must make of the case, given Postfix's outcome (as text):
     *                identity but where a difference is documented as deliberate or unavoidable
     */
    record Case(String name, Service service, String from, List<String> rcpts, String headers,
                UnaryOperator<String> postern) {
        Case(String name, Service service, String from, List<String> rcpts, String headers) {
            this(name, service, from, rcpts, headers, UnaryOperator.identity());
        }

        /** This case with {@code difference} applied to Postfix's outcome too (after those before). */
        Case known(UnaryOperator<String> difference) {
            UnaryOperator<String> before = postern;
            return new Case(name, service, from, rcpts, headers, o -> difference.apply(before.apply(o)));
        }

        String messageId() {
            return "<" + name + "@client.example>";
        }

        String message() {
            return headers + "Message-ID: " + messageId() + "\nSubject: " + name + "\n\nbody of " + name + "\n";
        }
    }

    /** One main.cf (the tables' settings plus {@code mainCf}) and the cases sent with it. */
    record Config(String name, Map<String, String> mainCf, List<Case> cases) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final String CANONICAL = """
            joe@old.example         joe.public@new.example
            @olddomain.example      @newdomain.example
            ann                     ann.smith@people.example
            user+special@ext.example special@ext.example
            user@ext.example        person@ext.example
            chain1@chain.example    chain2@chain.example
            multi@list.example      first@list.example, second@list.example
            loopc1@loop.example     loopc2@loop.example
            loopc2@loop.example     loopc1@loop.example
            self@self.example       SELF@self.example
            nolocal@old.example     bob
            dotless@old.example     someone@laptop
            bangres@old.example     relay!person
            """;

    private static final String CANONICAL_RE = """
            /^(.*)@regex\\.example$/    $1@rewritten.example
            /^chain2@chain\\.example$/  chain3@chain.example
            """;

    private static final String SENDER_CANONICAL = """
            alice@client.example    alice.sender@corp.example
            @sendonly.example       @sent.example
            """;

    private static final String RECIPIENT_CANONICAL = """
            alice@client.example    alice.rcpt@corp.example
            rcpt@old.example        rcpt.new@new.example
            """;

    private static final String VIRTUAL = """
            team@virt.example       ann@dest.example, bob@dest.example
            ext@virt.example        extuser@dest.example
            vloop1@virt.example     vloop2@virt.example
            vloop2@virt.example     vloop1@virt.example
            self@lists.example      self@lists.example, archive@dest.example
            outer@nest.example      inner@nest.example, carl@dest.example
            inner@nest.example      deep@nest.example
            deep@nest.example       dora@dest.example
            root                    rootmail@dest.example
            @catch.example          catchall@dest.example
            rcpt.new@new.example    final@dest.example
            dupes@lists.example     ann@dest.example, bob@dest.example, ANN@dest.example
            """;

    /** Writes the tables into {@code dir}; returns main.cf's rewriting settings (both MTAs). */
    static Map<String, String> tables(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("canonical"), CANONICAL);
        Files.writeString(dir.resolve("canonical.re"), CANONICAL_RE);
        Files.writeString(dir.resolve("sender_canonical"), SENDER_CANONICAL);
        Files.writeString(dir.resolve("recipient_canonical"), RECIPIENT_CANONICAL);
        Files.writeString(dir.resolve("virtual"), VIRTUAL);
        Map<String, String> m = new LinkedHashMap<>();
        m.put("myhostname", "mx.rw.test");
        m.put("myorigin", "origin.example");
        m.put("recipient_delimiter", "+");
        m.put("canonical_maps", "texthash:" + dir.resolve("canonical") + ", regexp:" + dir.resolve("canonical.re"));
        m.put("sender_canonical_maps", "texthash:" + dir.resolve("sender_canonical"));
        m.put("recipient_canonical_maps", "texthash:" + dir.resolve("recipient_canonical"));
        m.put("masquerade_domains", "!keep.corp.example, corp.example");
        m.put("masquerade_exceptions", "admin");
        m.put("virtual_alias_maps", "texthash:" + dir.resolve("virtual"));
        m.put("virtual_alias_domains", "virt.example");
        return m;
    }

    /**
     * Postfix's text {@code postfix} replaced by {@code postern} in Postfix's outcome (every
     * occurrence); fails when Postfix's outcome does not have it, so a changed Postfix is noticed.
     */
    static UnaryOperator<String> replace(String postfix, String postern) {
        return o -> {
            if (!o.contains(postfix)) {
                throw new AssertionError("Postfix's outcome no longer has \"" + postfix + "\":\n" + o);
            }
            return o.replace(postfix, postern);
        };
    }

    /**
     * Reported, cleanup (HeaderBlock): outside a rewrite context (a remote client, no
     * remote_header_rewrite_domain) Postfix adds no missing Date: header
     * ("if ((state->hdr_rewrite_context || var_always_add_hdrs) && ...)"); Postern adds one.
     */
    static UnaryOperator<String> dateAdded(String name) {
        return replace("Subject: " + name + "\n", "Subject: " + name + "\nDate: DATE\n");
    }

    /**
     * Reported, queue model: Postfix's cleanup keeps one recipient per (ORCPT, address folded)
     * (cleanup_out_recipient(): been_here(state->dups, "%s\n%d\n%s\n%s", dsn_orcpt, ...)), so
     * an address reached from two original recipients is delivered twice, each with its ORCPT;
     * Postern keeps an address once (the first ORCPT; case-sensitively).
     */
    static UnaryOperator<String> oneCopyPerAddress(String postfixRcpts, String posternRcpts) {
        return replace(postfixRcpts, posternRcpts);
    }

    private static Case local(String name, String from, List<String> rcpts, String headers) {
        return new Case(name, Service.LOCAL, from, rcpts, headers);
    }

    /** Postfix's defaults for the classes and extensions; remote clients' headers left alone. */
    static final Config DEFAULTS = new Config("default classes", Map.of(), List.of(
            local("no-match", "bob@client.example", List.of("carol@dest.example"),
                    "From: Bob <bob@client.example>\nTo: carol@dest.example\n"),
            local("common-canonical", "joe@old.example", List.of("joe@old.example"),
                    "From: Joe <joe@old.example>\nTo: joe@old.example\nReply-To: joe@old.example (Joe)\n"),
            local("case-insensitive-key", "JOE@OLD.EXAMPLE", List.of("Joe@Old.Example"),
                    "From: JOE@OLD.EXAMPLE\nTo: Joe@Old.Example\n"),
            local("domain-key", "x@olddomain.example", List.of("y@olddomain.example"),
                    "From: x@olddomain.example\nTo: y@olddomain.example, z@sub.olddomain.example\nCc: w@OldDomain.Example\n"),
            local("bare-key-myorigin", "ann@origin.example", List.of("ann@origin.example", "ann@elsewhere.example"),
                    "From: ann\nTo: ann@origin.example, ann@elsewhere.example\n"),
            local("bare-key-extension", "ann+list@origin.example", List.of("ann+foo@origin.example"),
                    "From: ann+list\nTo: ann+foo@origin.example\n"),
            local("sender-and-recipient-canonical", "alice@client.example", List.of("alice@client.example"),
                    "From: alice@client.example\nReply-To: alice@client.example\nTo: alice@client.example\n"
                            + "Sender: x@sendonly.example\nCc: x@sendonly.example\n"),
            local("extension-propagated", "user+tag@ext.example", List.of("user+tag@ext.example", "user+special@ext.example"),
                    "From: user+tag@ext.example\nTo: user+tag@ext.example, user+special@ext.example\n"),
            local("regexp-dollar-one", "tom+x@regex.example", List.of("sam@regex.example"),
                    "From: Tom <tom+x@regex.example>\nTo: sam@regex.example\n"),
            local("map-chain", "chain1@chain.example", List.of("chain1@chain.example"),
                    "From: chain1@chain.example\nTo: chain2@chain.example\n"),
            local("multi-valued-canonical", "multi@list.example", List.of("multi@list.example"),
                    "From: multi@list.example\n"),
            local("canonical-loop", "bob@client.example", List.of("loopc1@loop.example"),
                    "From: bob@client.example\nTo: loopc1@loop.example\n"),
            local("canonical-to-itself", "self@self.example", List.of("self@self.example"),
                    "From: self@self.example\nTo: self@self.example\n"),
            local("canonical-bare-result", "nolocal@old.example", List.of("nolocal@old.example"),
                    "From: nolocal@old.example\nTo: nolocal@old.example\n"),
            local("masquerade", "xyz@host.corp.example", List.of("xyz@host.corp.example", "y@a.b.corp.example"),
                    "From: xyz@host.corp.example\nTo: xyz@host.corp.example, y@a.b.corp.example\n"
                            + "Cc: k@keep.corp.example, s@sub.keep.corp.example, h@host.keep.corp.example, c@corp.example\n"),
            local("masquerade-exception", "admin@host.corp.example", List.of("admin@host.corp.example"),
                    "From: admin@host.corp.example\nTo: Admin@host.corp.example, other@host.corp.example\n"),
            local("virtual-list", "bob@client.example", List.of("team@virt.example"),
                    "From: bob@client.example\nTo: team@virt.example\n"),
            local("virtual-to-itself-and-another", "bob@client.example", List.of("self@lists.example"),
                    "From: bob@client.example\nTo: self@lists.example\n"),
            local("virtual-nested", "bob@client.example", List.of("outer@nest.example"),
                    "From: bob@client.example\nTo: outer@nest.example\n"),
            local("virtual-bare-root", "bob@client.example", List.of("root@origin.example", "root@elsewhere.example"),
                    "From: bob@client.example\nTo: root\n"),
            local("virtual-catchall-domain", "bob@client.example", List.of("anyone@catch.example", "x+y@catch.example"),
                    "From: bob@client.example\nTo: anyone@catch.example\n")
                    .known(oneCopyPerAddress("RCPT TO:<catchall@dest.example> ORCPT=rfc822;x+2By@catch.example\n", "")),
            local("virtual-extension-propagated", "bob@client.example", List.of("ext+tag@virt.example"),
                    "From: bob@client.example\nTo: ext+tag@virt.example\n"),
            local("virtual-unknown-user", "bob@client.example", List.of("nobody@virt.example", "ext@virt.example"),
                    "From: bob@client.example\nTo: nobody@virt.example\n"),
            local("virtual-unknown-only", "bob@client.example", List.of("nobody@virt.example"),
                    "From: bob@client.example\nTo: nobody@virt.example\n"),
            local("virtual-loop", "bob@client.example", List.of("vloop1@virt.example"),
                    "From: bob@client.example\nTo: vloop1@virt.example\n"),
            local("recipient-canonical-then-virtual", "bob@client.example", List.of("rcpt@old.example"),
                    "From: bob@client.example\nTo: rcpt@old.example\n"),
            local("duplicates-after-expansion", "bob@client.example",
                    List.of("team@virt.example", "ann@dest.example", "dupes@lists.example", "team@virt.example"),
                    "From: bob@client.example\nTo: team@virt.example\n")
                    .known(oneCopyPerAddress("RCPT TO:<ann@dest.example> ORCPT=rfc822;ann@dest.example\n"
                            + "RCPT TO:<ann@dest.example> ORCPT=rfc822;dupes@lists.example\n"
                            + "RCPT TO:<ann@dest.example> ORCPT=rfc822;team@virt.example\n"
                            + "RCPT TO:<bob@dest.example> ORCPT=rfc822;dupes@lists.example\n"
                            + "RCPT TO:<bob@dest.example> ORCPT=rfc822;team@virt.example\n",
                    "RCPT TO:<ANN@dest.example> ORCPT=rfc822;dupes@lists.example\n"
                            + "RCPT TO:<ann@dest.example> ORCPT=rfc822;team@virt.example\n"
                            + "RCPT TO:<bob@dest.example> ORCPT=rfc822;team@virt.example\n")),
            local("unqualified-header-addresses", "bob@client.example", List.of("carol@dest.example"),
                    "From: bob\nTo: joe, \"Joe Q\" <joe>, carol\nCc: ann\nBcc: nolocal\n"),
            local("groups-and-comments", "bob@client.example", List.of("carol@dest.example"),
                    "From: (the sender) bob@client.example\n"
                            + "To: Friends: joe@old.example, \"Ann B\" <ann>;, undisclosed:;\n"
                            + "Cc: (c1) x@olddomain.example (c2), Zed <z@olddomain.example> (c3)\n"),
            local("folded-header", "bob@client.example", List.of("carol@dest.example"),
                    "From: bob@client.example\nTo: one@olddomain.example,\n two@olddomain.example,\n\tthree@dest.example\n"),
            local("resent-headers", "bob@client.example", List.of("carol@dest.example"),
                    "From: bob@client.example\nResent-From: joe@old.example\nResent-To: joe\nResent-Cc: xyz@host.corp.example\n"),
            local("no-from-header", "alice@client.example", List.of("carol@dest.example"),
                    "To: carol@dest.example\n"),
            local("null-sender", "", List.of("joe@old.example"),
                    "From: MAILER-DAEMON\nTo: joe@old.example\n"),
            local("unqualified-envelope", "joe", List.of("root"),
                    "From: joe\nTo: root\n").known(o -> {
                // Reported, smtpd: Postfix takes an address without a domain in MAIL FROM and RCPT TO
                // (cleanup completes it in the local context: cleanup_addr.c, cleanup_rewrite_internal(
                // MAIL_ATTR_RWR_LOCAL, ...)); Postern's smtpd refuses it.
                replace("MAIL FROM:<joe>: 250 2.1.0 Ok\n", "").apply(o);
                return "MAIL FROM:<joe>: 501 5.1.7 Bad sender address syntax\n\nnot delivered";
            }),
            new Case("no-address-mappings", Service.NO_MAPPINGS, "joe@old.example", List.of("team@virt.example", "joe@old.example"),
                    "From: joe@old.example\nTo: joe, team@virt.example\nCc: xyz@host.corp.example\n"),
            new Case("no-address-mappings-unknown-virtual", Service.NO_MAPPINGS, "bob@client.example",
                    List.of("nobody@virt.example", "carol@dest.example"), "From: bob@client.example\nTo: carol@dest.example\n"),
            new Case("remote-client-no-domain", Service.REMOTE, "joe@old.example", List.of("joe@old.example", "team@virt.example"),
                    "From: joe@old.example\nTo: joe, team@virt.example\nCc: xyz@host.corp.example, ann\nBcc: hidden\n")
                    .known(dateAdded("remote-client-no-domain")),
            new Case("remote-client-no-from", Service.REMOTE, "alice@client.example", List.of("carol@dest.example"),
                    "To: carol\n").known(dateAdded("remote-client-no-from"))));

    /**
     * Classes restricted, extensions not propagated, remote clients' headers rewritten with
     * remote_header_rewrite_domain.
     */
    static final Config RESTRICTED = new Config("restricted classes, remote_header_rewrite_domain", Map.of(
            "canonical_classes", "envelope_sender, header_recipient",
            "sender_canonical_classes", "header_sender",
            "recipient_canonical_classes", "envelope_recipient",
            "masquerade_classes", "envelope_recipient, header_sender",
            "propagate_unmatched_extensions", "",
            "remote_header_rewrite_domain", "domain.invalid"), List.of(
            local("classes-common", "joe@old.example", List.of("joe@old.example"),
                    "From: joe@old.example\nTo: joe@old.example\n"),
            local("classes-sender-recipient", "alice@client.example", List.of("alice@client.example"),
                    "From: alice@client.example\nTo: alice@client.example\n"),
            local("classes-masquerade", "xyz@host.corp.example", List.of("xyz@host.corp.example"),
                    "From: xyz@host.corp.example\nTo: xyz@host.corp.example\n"),
            local("extensions-not-propagated", "user+tag@ext.example", List.of("ext+tag@virt.example", "ext@virt.example"),
                    "From: user+tag@ext.example\nTo: user+tag@ext.example\n")
                    .known(oneCopyPerAddress("RCPT TO:<extuser@dest.example> ORCPT=rfc822;ext@virt.example\n", "")),
            local("local-unqualified", "bob@client.example", List.of("carol@dest.example"),
                    "From: bob\nTo: joe\n"),
            new Case("remote-client-with-domain", Service.REMOTE, "joe@old.example", List.of("joe@old.example"),
                    "From: joe@old.example\nTo: joe, joe@old.example\nCc: xyz@host.corp.example, \"Ann\" <ann>\n"),
            new Case("remote-client-with-domain-no-from", Service.REMOTE, "alice@client.example", List.of("carol@dest.example"),
                    "To: carol\n"),
            new Case("no-address-mappings-restricted", Service.NO_MAPPINGS, "joe@old.example", List.of("joe@old.example"),
                    "From: joe\nTo: joe@old.example\n")));

    /** The header block of the trivial-rewrite cases: bang paths, percent hacks, domains without a dot. */
    private static final String ROUTING_HEADERS = "From: host!user\n"
            + "To: a!b!c, user%host, a%b%c, mid.example!u, v%w.example, \"q!x\"@dest.example, \"p%y\"\n"
            + "Cc: user%host@laptop, Ann <ann@laptop>, x@[192.0.2.1], y@host., z@localhost, w@dest.example\n"
            + "Reply-To: joe, !lead, trail!\n";

    /**
     * trivial-rewrite's switches at their defaults below compatibility_level 1 (the seed's
     * main.cf has none): swap_bangpath, allow_percent_hack and append_dot_mydomain all on;
     * .$mydomain for the envelope (SMTP too), table results and local clients' headers,
     * .$remote_header_rewrite_domain for the other clients' headers.
     */
    static final Config LEVEL_0 = new Config("compatibility_level 0: append_dot_mydomain's old default", Map.of(
            "compatibility_level", "0",
            "mydomain", "rw.test",
            "remote_header_rewrite_domain", "domain.invalid"), List.of(
            local("dot-envelope-and-headers", "joe@laptop", List.of("ann@laptop", "carl@dest.example"),
                    "From: Joe <joe@laptop>\nTo: ann@laptop, carl@dest.example\n"),
            local("routing-forms-in-headers", "bob@client.example", List.of("carol@dest.example"), ROUTING_HEADERS),
            local("table-results-completed", "dotless@old.example", List.of("bangres@old.example"),
                    "From: dotless@old.example\nTo: bangres@old.example\n"),
            new Case("remote-context-dot", Service.REMOTE, "joe@laptop", List.of("ann@laptop"), ROUTING_HEADERS),
            new Case("no-address-mappings-dot", Service.NO_MAPPINGS, "joe@laptop", List.of("ann@laptop"),
                    // cleanup_addr_sender() and cleanup_addr_recipient() run trivial-rewrite's local
                    // context on every envelope address, with no_address_mappings too
                    "From: joe@laptop\nTo: host!user, user%host\n")));

    /** compatibility_level 1: append_dot_mydomain off by default; swap_bangpath and allow_percent_hack still on. */
    static final Config LEVEL_1 = new Config("compatibility_level 1", Map.of(
            "compatibility_level", "1",
            "mydomain", "rw.test"), List.of(
            local("level-1-envelope", "joe@laptop", List.of("ann@laptop"), "From: Joe <joe@laptop>\nTo: ann@laptop\n"),
            local("level-1-routing-forms", "bob@client.example", List.of("carol@dest.example"), ROUTING_HEADERS),
            local("level-1-table-results", "dotless@old.example", List.of("bangres@old.example"),
                    "From: dotless@old.example\nTo: bangres@old.example\n")));

    /** compatibility_level 0 with all three switches set to no. */
    static final Config SWITCHES_OFF = new Config("swap_bangpath, allow_percent_hack, append_dot_mydomain = no", Map.of(
            "compatibility_level", "0",
            "mydomain", "rw.test",
            "swap_bangpath", "no",
            "allow_percent_hack", "no",
            "append_dot_mydomain", "no"), List.of(
            local("switches-off-envelope", "joe@laptop", List.of("ann@laptop"), "From: Joe <joe@laptop>\nTo: ann@laptop\n"),
            local("switches-off-routing-forms", "bob@client.example", List.of("carol@dest.example"), ROUTING_HEADERS),
            local("switches-off-table-results", "dotless@old.example", List.of("bangres@old.example"),
                    "From: dotless@old.example\nTo: bangres@old.example\n")
                    // Deliberate (MailAddress): Postern's queue and SMTP client carry no '!' or '%'
                    // routing forms, so a table result that keeps one (swap_bangpath = no) refuses the
                    // message, with Postfix's words for a result that cannot be used (451, try again).
                    .known(replace("end of data: 250 2.0.0 Ok: queued as QID\n"
                                    + "QID: message-id=<switches-off-table-results@client.example>\n"
                                    + "MAIL FROM:<someone@laptop>\n"
                                    + "RCPT TO:<relay!person@origin.example> ORCPT=rfc822;bangres@old.example\n"
                                    + "From: someone@laptop\nTo: relay!person@origin.example\n"
                                    + "Message-ID: <switches-off-table-results@client.example>\n"
                                    + "Subject: switches-off-table-results\nDate: DATE\n",
                            "end of data: 451 4.3.0 Error: queue file write error\n"
                                    + "warning: QID: address rewriting made recipient bangres@old.example into"
                                    + " \"relay!person@origin.example\", which Postern cannot deliver to (routing operators and"
                                    + " quoted local parts are not accepted) -- message not accepted, try again later\n"
                                    + "not delivered"))));

    static final List<Config> CONFIGS = List.of(DEFAULTS, RESTRICTED, LEVEL_0, LEVEL_1, SWITCHES_OFF);
}
