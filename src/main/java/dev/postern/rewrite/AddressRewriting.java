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
 * Postfix's order: sender_canonical_maps (senders) or recipient_canonical_maps (recipients), then
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

    private AddressRewriting(RewriteSettings s) {
        this.settings = s;
        String myorigin = s.myorigin().toLowerCase(Locale.ROOT);
        Set<String> local = Set.copyOf(s.mydestination().stream().map(d -> d.toLowerCase(Locale.ROOT)).toList());
        AddressSearch search = new AddressSearch(s.recipientDelimiter(), d -> d.equals(myorigin) || local.contains(d));
        String origin = s.appendAtMyorigin() ? s.myorigin() : "";
        this.canonical = map("canonical_maps", s.canonicalMaps(), search, origin);
        this.senderCanonical = map("sender_canonical_maps", s.senderCanonicalMaps(), search, origin);
        this.recipientCanonical = map("recipient_canonical_maps", s.recipientCanonicalMaps(), search, origin);
        this.virtual = new VirtualAlias(map("virtual_alias_maps", s.virtualAliasMaps(), search, origin),
                s.virtualAliasRecursionLimit(), s.virtualAliasExpansionLimit(), s.virtualAliasAddressLengthLimit());
        this.masquerade = new Masquerade(s.masqueradeDomains(), s.masqueradeExceptions());
        this.propagateCanonical = s.propagateUnmatchedExtensions().contains("canonical");
        this.propagateVirtual = s.propagateUnmatchedExtensions().contains("virtual");
    }

    private AddressMap map(String parameter, List<String> specs, AddressSearch search, String origin) {
        TableList t = TableList.open(parameter, specs);
        all.add(t);
        return new AddressMap(t, search, origin);
    }

    /**
     * Opens the tables.
     * @throws IllegalArgumentException "parameter: problem" for a table that cannot be opened
     */
    public static AddressRewriting open(RewriteSettings settings) {
        return new AddressRewriting(settings); // with no tables too: header addresses get @$myorigin
    }

    /** A warning per table that cannot be read now (its mail is answered 451 until it can). */
    public List<String> unavailable() {
        List<String> out = new ArrayList<>();
        all.forEach(t -> out.addAll(t.unavailable()));
        return out;
    }

    /** No tables and no masquerading: the envelope is not rewritten (headers still get the context's domain). */
    public boolean isEmpty() {
        return settings.isEmpty();
    }

    /** The envelope sender (cleanup_addr_sender()); the null sender stays null. */
    public String envelopeSender(String address, Consumer<String> warn) throws RewriteException {
        return address.isEmpty() ? address : sender(address, AddressClass.ENVELOPE_SENDER, warn);
    }

    /** An envelope recipient before virtual aliasing (cleanup_addr_recipient()). */
    public String envelopeRecipient(String address, Consumer<String> warn) throws RewriteException {
        return recipient(address, AddressClass.ENVELOPE_RECIPIENT, warn);
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
     * without a domain; else local, @$myorigin), then, with {@code mappings}, the tables and
     * masquerading of the header's class. None for a header of no address kind.
     */
    public List<HeaderAddresses.AddressRewriter<RewriteException>> headerSteps(HeaderAddresses.Kind kind, boolean remote,
                                                                                boolean mappings, Consumer<String> warn) {
        if (kind == HeaderAddresses.Kind.NONE) {
            return List.of();
        }
        String origin = remote ? settings.remoteHeaderRewriteDomain() : settings.appendAtMyorigin() ? settings.myorigin() : "";
        List<HeaderAddresses.AddressRewriter<RewriteException>> steps = new ArrayList<>();
        steps.add(a -> LocalRewrite.canonicalize(a, origin));
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
