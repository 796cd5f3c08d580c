package dev.postern.maps;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A parameter's list of tables searched in order, Postfix's MAPS ({@code maps_find()}): the first
 * table that knows a key answers. A <em>partial</em> key (a domain, {@code @domain}, {@code user@},
 * an address without its extension) is only asked of fixed-string tables, never of regexp or cidr
 * tables, which Postfix asks about the entire string only. A table that cannot answer stops the
 * search with {@link LookupException}: the caller defers, never falls through to the next table.
 */
public final class TableList {
    /** Which table answered, for which key, with what value: what {@code postern route} shows. */
    public record Match(String parameter, String table, String key, String value) {
        /** {@code parameter table: key -> value}, for explanations and logs. */
        @Override
        public String toString() {
            return parameter + " " + table + ": " + key + " -> " + value;
        }
    }

    private final String parameter;
    private final List<LookupTable> tables;

    private TableList(String parameter, List<LookupTable> tables) {
        this.parameter = parameter;
        this.tables = List.copyOf(tables);
    }

    /**
     * Opens each {@code type:name} of a parameter's value.
     * @throws IllegalArgumentException naming the parameter and the table for a bad table
     */
    public static TableList open(String parameter, List<String> specs) {
        List<LookupTable> t = new ArrayList<>();
        for (String spec : specs) {
            try {
                t.add(Maps.open(spec));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(parameter + ": " + e.getMessage(), e);
            }
        }
        return new TableList(parameter, t);
    }

    /**
     * Like {@link #open(String, List)} for tables whose values are used verbatim (transport_maps,
     * sender_dependent_relayhost_maps): a regexp rule with $n substitution is refused.
     */
    public static TableList openNoSubstitution(String parameter, List<String> specs) {
        TableList t = open(parameter, specs);
        for (LookupTable table : t.tables) {
            if (table instanceof RegexpTable r) {
                try {
                    r.requireNoSubstitution(parameter);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(parameter + ": " + e.getMessage(), e);
                }
            }
        }
        return t;
    }

    public static TableList of(String parameter, List<LookupTable> tables) {
        return new TableList(parameter, tables);
    }

    public String parameter() {
        return parameter;
    }

    public boolean isEmpty() {
        return tables.isEmpty();
    }

    public List<LookupTable> tables() {
        return tables;
    }

    /**
     * Tables that cannot answer now (a hash file that does not exist yet, ...), one line each, for
     * {@code postern check} and start: mail that needs them is deferred until they can.
     */
    public List<String> unavailable() {
        List<String> out = new ArrayList<>();
        for (LookupTable t : tables) {
            try {
                t.lookup("postern-availability-check");
            } catch (LookupException e) {
                out.add(parameter + ": " + e.getMessage() + "; mail that needs this table is deferred until it can be read");
            }
        }
        return out;
    }

    /**
     * maps_find(): the first table's answer for {@code key}; empty keys are never looked up.
     * @param partial true for a part of an address (fixed-string tables only)
     * @throws LookupException "parameter lookup failure: why" when a table cannot answer
     */
    public Optional<Match> find(String key, boolean partial) throws LookupException {
        if (key == null || key.isEmpty()) {
            return Optional.empty();
        }
        for (LookupTable t : tables) {
            if (partial && !t.fixed()) {
                continue;
            }
            Optional<String> v;
            try {
                v = t.lookup(key);
            } catch (LookupException e) {
                throw new LookupException(parameter, parameter + " lookup failure: " + e.getMessage(), e);
            }
            if (v.isPresent() && v.get().isEmpty()) {
                // maps_find(): "should return NO RESULT in case of NOT FOUND"; a configuration error
                throw new LookupException(parameter, parameter + " lookup of " + key + " returns an empty string result ("
                        + t.spec() + ")", null);
            }
            if (v.isPresent()) {
                return Optional.of(new Match(parameter, t.spec(), key, v.get()));
            }
        }
        return Optional.empty();
    }
}
