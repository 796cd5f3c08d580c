package dev.postern.maps;

import java.nio.file.Path;
import java.util.Locale;

/**
 * Opens lookup tables by Postfix spec: {@code hash:/path} (also lmdb, btree, cdb, dbm),
 * {@code texthash:/path}, {@code inline:{k=v, ...}}, {@code static:value}, {@code cidr:/path},
 * {@code regexp:/path} (also pcre). Indexed types read the postmap source file directly and
 * notice changes on their own, so no postmap run is ever needed.
 */
public final class Maps {
    private Maps() {}

    /** @throws IllegalArgumentException with a user-facing message (file:line and the fix) for bad tables */
    public static LookupTable open(String spec) {
        int colon = spec.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("table \"" + spec + "\" needs a type, e.g. hash:" + spec);
        }
        String type = spec.substring(0, colon).toLowerCase(Locale.ROOT);
        String name = spec.substring(colon + 1);
        return switch (type) {
            case "hash", "btree", "lmdb", "cdb", "dbm", "sdbm", "texthash" -> new TextTable(spec, Path.of(name));
            case "inline" -> InlineTable.inline(spec, name);
            case "static" -> InlineTable.constant(spec, name);
            case "cidr" -> new CidrTable(spec, Path.of(name));
            case "regexp", "pcre" -> new RegexpTable(spec, Path.of(name), type.equals("pcre"));
            default -> throw new IllegalArgumentException("unsupported table type \"" + type + "\" in " + spec
                    + "; supported: hash, texthash, inline, static, cidr, regexp");
        };
    }
}
