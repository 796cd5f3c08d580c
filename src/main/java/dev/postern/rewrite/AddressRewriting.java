package dev.postern.rewrite;

import dev.postern.maps.AddressSearch;
import dev.postern.maps.TableList;
import dev.postern.rewrite.RewriteSettings.AddressClass;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;

/**
 * cleanup's address rewriting with its tables open: Postfix's cleanup_addr_sender(),
 * cleanup_addr_recipient(), cleanup_out_recipient()'s virtual aliasing and
 * cleanup_rewrite_sender()/cleanup_rewrite_recip() for header addresses. For each address, in
 * Postfix's order: trivial-rewrite's context ({@link LocalRewrite}: local for the envelope, as
 * cleanup_rewrite_internal(MAIL_ATTR_RWR_LOCAL, ...); local or remote for headers), then sender_canonical_maps (senders) or recipient_canonical_maps (recipients), then
 * canonical_maps, then masquerade_domains, each only where its *_classes parameter lists the
 * address's class; virtual_alias_maps last, for envelope recipients only. Immutable; shared by
 * every transaction.
 */
public final class AddressRewriting {
    private final RewriteSettings settings;
    private final AddressMap canonical;
    private final AddressMap senderCanonical;
    private final AddressMap recipientCanonical;
    private final VirtualAlias virtual;
    private final Masquerade masquerade;
    private final boolean propagateCanonical;
    private final boolean propagateVirtual;
    private final List<TableList> all = new ArrayList<>();
    /** trivial-rewrite's local context (envelope, table results, local clients' headers). */
    private final LocalRewrite.Context localContext;
    /** trivial-rewrite's remote context (other clients' headers, with remote_header_rewrite_domain). */
    private final LocalRewrite.Context remoteContext;

    private AddressRewriting(RewriteSettings s, Consumer<String> info) {
        this.settings = s;
        this.localContext = localContext(s, info);
        this.remoteContext = remoteContext(s, info);
        String myorigin = s.myorigin().toLowerCase(Locale.ROOT);
        Set<String> local = Set.copyOf(s.mydestination().stream().map(d -> d.toLowerCase(Locale.ROOT)).toList());
        AddressSearch search = new AddressSearch(s.recipientDelimiter(), d -> d.equals(myorigin) || local.contains(d));
        LocalRewrite.Context origin = localContext;
        this.canonical = map("canonical_maps", s.canonicalMaps(), search, origin);
        this.senderCanonical = map("sender_canonical_maps", s.senderCanonicalMaps(), search, origin);
        this.recipientCanonical = map("recipient_canonical_maps", s.recipientCanonicalMaps(), search, origin);
        this.virtual = new VirtualAlias(map("virtual_alias_maps", s.virtualAliasMaps(), search, origin),
                s.virtualAliasRecursionLimit(), s.virtualAliasExpansionLimit(), s.virtualAliasAddressLengthLimit());
        this.masquerade = new Masquerade(s.masqueradeDomains(), s.masqueradeExceptions());
        this.propagateCanonical = s.propagateUnmatchedExtensions().contains("canonical");
        this.propagateVirtual = s.propagateUnmatchedExtensions().contains("virtual");
    }

    /**
     * {@link #envelopeLocal} without opening any table: what cleanup will make of a local
     * submission's address (sendmail checks what it was given with this before it queues it).
     */
    public static String localForm(RewriteSettings s, String address) {
        return address.isEmpty() ? address : LocalRewrite.rewriteInternal(address, localContext(s, null));
    }

    /** rewrite.c's local_context: $myorigin and $mydestination with main.cf's switches. */
    static LocalRewrite.Context localContext(RewriteSettings s, Consumer<String> info) {
        return new LocalRewrite.Context(s.myorigin(), s.mydomain(), s.swapBangpath(), s.allowPercentHack(),
                s.appendAtMyorigin(), s.appendDotMydomain(), notice(s, info));
    }

    /** rewrite.c's remote_context: $remote_header_rewrite_domain for both. */
    static LocalRewrite.Context remoteContext(RewriteSettings s, Consumer<String> info) {
        return new LocalRewrite.Context(s.remoteHeaderRewriteDomain(), s.remoteHeaderRewriteDomain(), s.swapBangpath(),
                s.allowPercentHack(), s.appendAtMyorigin(), s.appendDotMydomain(), notice(s, info));
    }

    private static LocalRewrite.CompatNotice notice(RewriteSettings s, Consumer<String> info) {
        return info != null && s.appendDotMydomainCompat()
                ? new LocalRewrite.CompatNotice(s.mydomain(), s.localhostHasClass(), info) : null;
    }

    private AddressMap map(String parameter, List<String> specs, AddressSearch search, LocalRewrite.Context origin) {
        TableList t = TableList.open(parameter, specs);
        all.add(t);
        return new AddressMap(t, search, origin);
    }

    /**
     * Opens the tables.
     * @throws IllegalArgumentException "parameter: problem" for a table that cannot be opened
     */
    public static AddressRewriting open(RewriteSettings settings) {
        return new AddressRewriting(settings, null); // with no tables too: header addresses get @$myorigin
    }

    /**
     * As {@link #open(RewriteSettings)}, with trivial-rewrite's notices going to {@code info}:
     * while append_dot_mydomain's old default is in force unset (compatibility_level below 1),
     * Postfix's {@code using backwards-compatible default setting append_dot_mydomain=yes to
     * rewrite "host" to "host.$mydomain"} for each domain it completes (cleanup logs it as
     * {@code trivial-rewrite}, an info line).
     */
    public static AddressRewriting open(RewriteSettings settings, Consumer<String> info) {
        return new AddressRewriting(settings, info);
    }

    /** A warning per table that cannot be read now (its mail is answered 451 until it can). */
    public List<String> unavailable() {
        List<String> out = new ArrayList<>();
        all.forEach(t -> out.addAll(t.unavailable()));
        return out;
    }

    /**
     * Nothing can change an envelope address: no tables, no masquerading, and no append_dot_mydomain
     * (the one step of the local context a complete {@code local@domain} can meet; headers still get
     * the context's domain).
     */
    public boolean isEmpty() {
        return settings.isEmpty() && !(localContext.appendDotDomain() && !localContext.domain().isEmpty());
    }

    /**
     * The envelope sender (cleanup_addr_sender()): the local context, then the tables; the null
     * sender stays null.
     */
    public String envelopeSender(String address, Consumer<String> warn) throws RewriteException {
        return address.isEmpty() ? address : sender(envelopeLocal(address), AddressClass.ENVELOPE_SENDER, warn);
    }

    /** An envelope recipient before virtual aliasing (cleanup_addr_recipient()): the local context, then the tables. */
    public String envelopeRecipient(String address, Consumer<String> warn) throws RewriteException {
        return recipient(envelopeLocal(address), AddressClass.ENVELOPE_RECIPIENT, warn);
    }

    /**
     * An envelope address (internal form) in trivial-rewrite's local context, as Postfix's
     * cleanup_rewrite_internal(MAIL_ATTR_RWR_LOCAL, ...) runs it for every envelope address, with
     * receive_override_options = no_address_mappings too: {@code user} gets {@code @$myorigin},
     * {@code host!user} and {@code user%host} become {@code user@host}, {@code user@host} becomes
     * {@code user@host.$mydomain}, as main.cf says.
     */
    public String envelopeLocal(String address) {
        return address.isEmpty() ? address : LocalRewrite.rewriteInternal(address, localContext);
    }

    /** An envelope recipient's virtual alias expansion (cleanup_out_recipient()): itself when none. */
    public List<String> virtualAlias(String address) throws RewriteException {
        return virtual.isEmpty() ? List.of(address) : virtual.expand(address, propagateVirtual);
    }

    /**
     * The steps one address of a header goes through, as cleanup_rewrite_sender() and
     * cleanup_rewrite_recip() run them (each a step of its own: Postfix re-reads the address
     * between them and counts the header as changed when any step changed it): first
     * trivial-rewrite's context ({@code remote}: @$remote_header_rewrite_domain for an address
     * without a domain, .$remote_header_rewrite_domain for a domain without a dot; else local,
     * @$myorigin and .$mydomain; swap_bangpath and allow_percent_hack in both), then, with {@code mappings}, the tables and
     * masquerading of the header's class. None for a header of no address kind.
     */
    public List<HeaderAddresses.AddressRewriter<RewriteException>> headerSteps(HeaderAddresses.Kind kind, boolean remote,
                                                                                boolean mappings, Consumer<String> warn) {
        if (kind == HeaderAddresses.Kind.NONE) {
            return List.of();
        }
        LocalRewrite.Context context = remote ? remoteContext : localContext;
        List<HeaderAddresses.AddressRewriter<RewriteException>> steps = new ArrayList<>();
        steps.add(a -> LocalRewrite.rewrite(a, context));
        if (!mappings) {
            return steps;
        }
        boolean sender = kind == HeaderAddresses.Kind.SENDER;
        AddressClass c = sender ? AddressClass.HEADER_SENDER : AddressClass.HEADER_RECIPIENT;
        AddressMap own = sender ? senderCanonical : recipientCanonical;
        Set<AddressClass> ownClasses = sender ? settings.senderCanonicalClasses() : settings.recipientCanonicalClasses();
        if (!own.isEmpty() && ownClasses.contains(c)) {
            steps.add(a -> Canonical.map(own, a, propagateCanonical, warn));
        }
        if (!canonical.isEmpty() && settings.canonicalClasses().contains(c)) {
            steps.add(a -> Canonical.map(canonical, a, propagateCanonical, warn));
        }
        if (!masquerade.isEmpty() && settings.masqueradeClasses().contains(c)) {
            steps.add(masquerade::apply);
        }
        return steps;
    }

    /** remote_header_rewrite_domain is set: a remote client's headers are rewritten too. */
    public boolean rewritesRemoteHeaders() {
        return !settings.remoteHeaderRewriteDomain().isEmpty();
    }

    private String sender(String address, AddressClass c, Consumer<String> warn) throws RewriteException {
        String a = address;
        if (settings.senderCanonicalClasses().contains(c) && !senderCanonical.isEmpty()) {
            a = Canonical.map(senderCanonical, a, propagateCanonical, warn);
        }
        return common(a, c, warn);
    }

    private String recipient(String address, AddressClass c, Consumer<String> warn) throws RewriteException {
        String a = address;
        if (settings.recipientCanonicalClasses().contains(c) && !recipientCanonical.isEmpty()) {
            a = Canonical.map(recipientCanonical, a, propagateCanonical, warn);
        }
        return common(a, c, warn);
    }

    private String common(String address, AddressClass c, Consumer<String> warn) throws RewriteException {
        String a = address;
        if (settings.canonicalClasses().contains(c) && !canonical.isEmpty()) {
            a = Canonical.map(canonical, a, propagateCanonical, warn);
        }
        if (settings.masqueradeClasses().contains(c) && !masquerade.isEmpty()) {
            a = masquerade.apply(a);
        }
        return a;
    }
}
