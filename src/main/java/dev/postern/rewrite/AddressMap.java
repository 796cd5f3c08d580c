package dev.postern.rewrite;

import dev.postern.maps.AddressSearch;
import dev.postern.maps.LookupException;
import dev.postern.maps.TableList;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Postfix's mail_addr_map(): what one address (external form: a local part with blanks or
 * specials is quoted, {@code "a b"@x}; looked up unquoted) maps to in a parameter's tables (canonical_maps,
 * virtual_alias_maps, smtp_generic_maps). The keys are mail_addr_find()'s default ones
 * ({@link AddressSearch#DEFAULT}); a result {@code @domain} keeps the address's local part; a
 * result may list several addresses ({@code a@x, b@y}), each made complete as trivial-rewrite's
 * canonicalize (local) context does (mail_addr_crunch()'s canon_addr_external(): an address without
 * a domain gets {@code @$myorigin}, and, as main.cf says, {@code host!user} and {@code user%host}
 * become {@code user@host} and a domain without a dot gets {@code .$mydomain}); with
 * {@code propagate}, an extension the match did not include ({@code user+foo@x} found as
 * {@code user@x}) is put back into each result ({@code user+foo@y}).
 */
public final class AddressMap {
    private final TableList tables;
    private final AddressSearch search;
    private final LocalRewrite.Context local;

    /**
     * Results completed with {@code @myorigin} only (swap_bangpath, allow_percent_hack and
     * append_dot_mydomain not applied).
     * @param search recipient_delimiter and the local domains ($myorigin, $mydestination) for the keys
     * @param myorigin appended to a result without a domain (empty: nothing appended, append_at_myorigin = no)
     */
    public AddressMap(TableList tables, AddressSearch search, String myorigin) {
        this(tables, search, LocalRewrite.Context.originOnly(myorigin == null ? "" : myorigin));
    }

    /** Results completed in trivial-rewrite's local context {@code local}. */
    AddressMap(TableList tables, AddressSearch search, LocalRewrite.Context local) {
        this.tables = tables;
        this.search = search;
        this.local = local;
    }

    /**
     * Results completed in trivial-rewrite's whole local context, as Postfix's mail_addr_map() does
     * for every table (smtp_generic_maps too): {@code @myorigin} (empty: append_at_myorigin = no),
     * swap_bangpath, allow_percent_hack, and {@code .mydomain} with append_dot_mydomain.
     */
    public static AddressMap local(TableList tables, AddressSearch search, String myorigin, String mydomain,
                                   boolean swapBangpath, boolean allowPercentHack, boolean appendDotMydomain) {
        return new AddressMap(tables, search, new LocalRewrite.Context(myorigin, mydomain, swapBangpath, allowPercentHack,
                !myorigin.isEmpty(), appendDotMydomain, null));
    }

    /** The parameter the tables belong to, for warnings. */
    public String title() {
        return tables.parameter();
    }

    public boolean isEmpty() {
        return tables.isEmpty();
    }

    /**
     * The addresses {@code address} maps to, or empty when no table knows it.
     * @throws LookupException a table could not answer (the caller defers the message)
     * @throws RewriteException the result holds no address (Postfix: "returns non-address result", a lookup error)
     */
    public Optional<List<String>> map(String address, boolean propagate) throws LookupException, RewriteException {
        // keys are the internal (unquoted) form, as mail_addr_map_opt() unquotes an external address first
        String internal = HeaderAddresses.unquoteLocal(address);
        String bare = search.stripExtension(internal);
        for (AddressSearch.Key key : search.keys(internal, AddressSearch.DEFAULT)) {
            Optional<TableList.Match> m = tables.find(key.text(), key.partial());
            if (m.isEmpty()) {
                continue;
            }
            String extension = bare != null && byBareKey(key.text(), bare) ? extension(internal, bare) : null;
            String value = m.get().value().trim();
            if (value.startsWith("@")) {
                value = HeaderAddresses.quoteLocal(local(extension != null ? bare : internal) + value);
            }
            List<String> out = new ArrayList<>();
            for (String a : split(value)) {
                String full = LocalRewrite.rewrite(a, local);
                if (propagate && extension != null) {
                    full = HeaderAddresses.quoteLocal(withExtension(HeaderAddresses.unquoteLocal(full), extension));
                }
                out.add(full);
            }
            if (out.isEmpty()) {
                throw new RewriteException(title() + " lookup of " + address + " returns non-address result \""
                        + value + "\"", false);
            }
            return Optional.of(out);
        }
        return Optional.empty();
    }

    /** A key made from the address without its extension: then the extension was not matched. */
    private static boolean byBareKey(String key, String bare) {
        String bareLocal = local(bare);
        return key.equals(bare) || key.equals(bareLocal) || key.equals(bareLocal + "@");
    }

    /** {@code +foo} of {@code user+foo@x} against {@code user@x}. */
    private static String extension(String address, String bare) {
        return local(address).substring(local(bare).length());
    }

    private static String local(String address) {
        int at = address.lastIndexOf('@');
        return at < 0 ? address : address.substring(0, at);
    }

    private static String withExtension(String address, String extension) {
        int at = address.lastIndexOf('@');
        return at < 0 ? address + extension : address.substring(0, at) + extension + address.substring(at);
    }

    /**
     * A table result as a list of addresses in external form (mail_addr_crunch(): an RFC 822
     * address list, so {@code a@x, Joe <b@y>} gives a@x and b@y); an empty result, {@code <>} or
     * {@code ""} gives none.
     */
    static List<String> split(String value) {
        return HeaderAddresses.parseListExternal(value).stream().filter(a -> !a.isEmpty() && !a.equals("\"\"")).toList();
    }
}
