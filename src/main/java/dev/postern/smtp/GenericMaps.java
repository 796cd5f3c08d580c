package dev.postern.smtp;

import dev.postern.maps.AddressSearch;
import dev.postern.maps.LookupException;
import dev.postern.maps.TableList;
import dev.postern.rewrite.AddressMap;
import dev.postern.rewrite.RewriteException;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * smtp_generic_maps (Postfix's smtp_map11.c): the address a next hop is given in place of one from
 * the queue file. One lookup per address, never repeated on the result (unlike canonical_maps:
 * smtp_map11_internal() has no loop), with mail_addr_map()'s keys and extension rule
 * ({@link AddressMap}); of a list result only the first address counts ("multi-valued ...
 * result" warning). Opened once per SMTP client and shared by its deliveries; a table edited on
 * disk is re-read by the table itself.
 */
final class GenericMaps {
    /** No smtp_generic_maps: every address goes out as queued, at no cost. */
    static final GenericMaps NONE = new GenericMaps(null, null, false);

    /**
     * A table could not answer. Postfix's smtp process ends with {@code fatal: smtp_generic_maps
     * map lookup problem for ADDRESS}, so the mail waits for a later attempt; {@link #getMessage()}
     * is that text.
     */
    static final class LookupFailed extends Exception {
        LookupFailed(String message) {
            super(message);
        }
    }

    private final TableList tables;
    private final AddressMap map;
    private final boolean propagate;

    private GenericMaps(TableList tables, AddressMap map, boolean propagate) {
        this.tables = tables;
        this.map = map;
        this.propagate = propagate;
    }

    /** @throws IllegalArgumentException naming smtp_generic_maps and the table that cannot be opened */
    static GenericMaps open(GenericMapSettings s) {
        if (s.isEmpty()) {
            return NONE;
        }
        String myorigin = s.myorigin().toLowerCase(Locale.ROOT);
        Set<String> local = Set.copyOf(s.mydestination().stream().map(d -> d.toLowerCase(Locale.ROOT)).toList());
        AddressSearch search = new AddressSearch(s.recipientDelimiter(), d -> d.equals(myorigin) || local.contains(d));
        TableList tables = TableList.open("smtp_generic_maps", s.maps());
        return new GenericMaps(tables, AddressMap.local(tables, search, s.appendAtMyorigin() ? s.myorigin() : "", s.mydomain(),
                s.swapBangpath(), s.allowPercentHack(), s.appendDotMydomain()), s.propagate());
    }

    boolean isEmpty() {
        return map == null;
    }

    /**
     * smtp_rewrite_generic_internal(): an envelope address for MAIL FROM or RCPT TO. The null
     * sender stays null; an address no table knows is returned as it is.
     */
    String envelope(String address, Consumer<String> warn) throws LookupFailed {
        if (map == null || address.isEmpty()) {
            return address;
        }
        String found = find(address, warn);
        return found == null ? address : found;
    }

    /**
     * smtp_map11_internal(): what the tables give {@code address}, or null when none has an entry
     * for it. An entry that maps an address to itself is a result too (Postfix then rewrites the
     * header that holds it all the same).
     */
    String find(String address, Consumer<String> warn) throws LookupFailed {
        Optional<List<String>> found;
        try {
            found = map.map(address, propagate);
        } catch (LookupException e) {
            throw new LookupFailed(map.title() + " map lookup problem for " + address);
        } catch (RewriteException e) {
            // mail_addr_map_internal() warns about a result without an address and counts it a lookup error.
            warn.accept(e.warning());
            throw new LookupFailed(map.title() + " map lookup problem for " + address);
        }
        if (found.isEmpty()) {
            return null;
        }
        if (found.get().size() > 1) {
            warn.accept("multi-valued " + map.title() + " result for " + address);
        }
        return found.get().get(0);
    }

    /** Tables that cannot answer now, one warning each (their mail is deferred until they can). */
    List<String> unavailable() {
        return tables == null ? List.of() : tables.unavailable();
    }
}
