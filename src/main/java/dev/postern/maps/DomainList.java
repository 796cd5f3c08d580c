package dev.postern.maps;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A domain list whose entries may be tables, as Postfix's domain_list_match() (match_list.c,
 * match_hostname()): the first entry that matches decides, {@code !entry} makes that match a
 * "no". A name matches itself; with {@code parentStyle} (the list's feature in
 * parent_domain_matches_subdomains) also its subdomains, else {@code .name} matches subdomains.
 * A {@code type:table} entry matches when the domain is a key; a fixed-string table is also asked
 * for each parent ({@code .example.com}, {@code .com}; {@code example.com}, {@code com} under the
 * parent style). {@link #exact} is Postfix's string_list instead (virtual_alias_domains, whose
 * default is the virtual_alias_maps tables).
 */
public final class DomainList {
    private record Entry(boolean negated, String pattern, TableList table) {
    }

    private final List<Entry> entries;
    private final boolean parentStyle;
    /** Postfix's string_list (match_string()): the whole name only, never a parent or subdomain. */
    private final boolean exact;

    private DomainList(List<Entry> entries, boolean parentStyle, boolean exact) {
        this.entries = List.copyOf(entries);
        this.parentStyle = parentStyle;
        this.exact = exact;
    }

    /**
     * A list matched as Postfix's string_list (match_string()): an entry or a table key matches the
     * whole name only (ignoring case), {@code .name} is just a string, no parent is asked; for
     * virtual_alias_domains (trivial-rewrite's resolve.c).
     * @throws IllegalArgumentException naming the parameter, for a table that cannot be opened or a /file entry
     */
    public static DomainList exact(String parameter, List<String> list) {
        return new DomainList(entries(parameter, list), false, true);
    }

    /**
     * @throws IllegalArgumentException naming the parameter, for a table that cannot be opened
     */
    public static DomainList of(String parameter, List<String> list, boolean parentStyle) {
        return new DomainList(entries(parameter, list), parentStyle, false);
    }

    private static List<Entry> entries(String parameter, List<String> list) {
        List<Entry> out = new ArrayList<>();
        for (String raw : list) {
            String e = raw;
            boolean negated = false;
            while (e.startsWith("!")) {
                negated = !negated;
                e = e.substring(1);
            }
            if (e.isEmpty()) {
                continue;
            }
            if (e.startsWith("/")) { // Postfix reads such a file's lines as more entries; Postern does not
                throw new IllegalArgumentException(parameter + ": \"" + raw + "\": file names are not supported here;"
                        + " use a table (texthash:" + e + ") or list the names");
            }
            TableList table = e.indexOf(':') > 0 ? TableList.open(parameter, List.of(e)) : null;
            out.add(new Entry(negated, e.toLowerCase(Locale.ROOT), table));
        }
        return out;
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /** Tables that cannot be read now, for check and start. */
    public List<String> unavailable() {
        List<String> out = new ArrayList<>();
        entries.stream().filter(e -> e.table() != null).forEach(e -> out.addAll(e.table().unavailable()));
        return out;
    }

    /** @throws LookupException a table could not answer (the caller defers) */
    public boolean contains(String domain) throws LookupException {
        String name = domain.toLowerCase(Locale.ROOT);
        for (Entry e : entries) {
            if (matches(e, name)) {
                return !e.negated();
            }
        }
        return false;
    }

    private boolean matches(Entry e, String name) throws LookupException {
        if (e.table() != null) {
            if (e.table().find(name, false).isPresent()) {
                return true;
            }
            if (exact) {
                return false;
            }
            int dot = name.indexOf('.', 1);
            while (dot > 0) {
                String parent = parentStyle ? name.substring(dot + 1) : name.substring(dot);
                if (!parent.isEmpty() && e.table().find(parent, true).isPresent()) {
                    return true;
                }
                dot = name.indexOf('.', dot + 1);
            }
            return false;
        }
        String p = e.pattern();
        if (name.equals(p)) {
            return true;
        }
        if (exact) {
            return false;
        }
        if (parentStyle) {
            return name.length() > p.length() && name.endsWith(p) && name.charAt(name.length() - p.length() - 1) == '.';
        }
        return p.startsWith(".") && name.length() > p.length() && name.endsWith(p);
    }
}
