package dev.postern.maps;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * cidr_table(5): {@code network/prefix value} (IPv4 or IPv6, brackets optional), first match wins;
 * comments, blank lines and continuation lines as in other table files. A network with host bits
 * set (Postfix skips it with a warning) is an error here, as is a bad prefix length.
 */
final class CidrTable implements LookupTable {
    private record Rule(byte[] net, int bits, String value) {
    }

    private final String spec;
    private final List<Rule> rules;

    CidrTable(String spec, Path file) {
        this.spec = spec;
        List<Rule> r = new ArrayList<>();
        try {
            for (SourceFile.Line l : SourceFile.logicalLines(file)) {
                String t = l.text();
                String[] kv = t.split("\\s+", 2);
                if (kv.length < 2) {
                    throw new IllegalArgumentException(file + ":" + l.line() + ": expected \"network/prefix value\"");
                }
                String net = kv[0].replace("[", "").replace("]", "");
                int slash = net.indexOf('/');
                byte[] a;
                int bits;
                try {
                    String host = slash < 0 ? net : net.substring(0, slash);
                    if (!host.matches("[0-9a-fA-F:.]+")) {
                        throw new NumberFormatException();
                    }
                    a = InetAddress.getByName(host).getAddress();
                    bits = slash < 0 ? a.length * 8 : Integer.parseInt(net.substring(slash + 1));
                } catch (IOException | NumberFormatException e) {
                    throw new IllegalArgumentException(file + ":" + l.line() + ": bad network \"" + kv[0] + "\"");
                }
                if (bits < 0 || bits > a.length * 8) {
                    throw new IllegalArgumentException(file + ":" + l.line() + ": bad network prefix length in \""
                            + kv[0] + "\"");
                }
                if (hostBits(a, bits)) {
                    throw new IllegalArgumentException(file + ":" + l.line() + ": non-null host address bits in \""
                            + kv[0] + "\"");
                }
                r.add(new Rule(a, bits, kv[1].strip()));
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(spec + ": cannot read " + file + ": " + e.getMessage());
        }
        this.rules = List.copyOf(r);
    }

    @Override
    public Optional<String> lookup(String key) {
        byte[] a;
        try {
            if (!key.matches("[0-9a-fA-F:.]+")) {
                return Optional.empty();
            }
            a = InetAddress.getByName(key).getAddress();
        } catch (IOException e) {
            return Optional.empty();
        }
        for (Rule r : rules) {
            if (r.net().length == a.length && prefixMatch(r.net(), a, r.bits())) {
                return Optional.of(r.value());
            }
        }
        return Optional.empty();
    }

    /** True when an address has bits set beyond the prefix (Postfix: "non-null host address bits"). */
    private static boolean hostBits(byte[] a, int bits) {
        for (int i = 0; i < a.length; i++) {
            int keep = Math.max(0, Math.min(8, bits - i * 8));
            int mask = keep == 0 ? 0 : (0xff << (8 - keep)) & 0xff;
            if ((a[i] & ~mask & 0xff) != 0) {
                return true;
            }
        }
        return false;
    }

    private static boolean prefixMatch(byte[] net, byte[] a, int bits) {
        for (int i = 0; i < bits / 8; i++) {
            if (net[i] != a[i]) {
                return false;
            }
        }
        int rem = bits % 8;
        if (rem == 0) {
            return true;
        }
        int mask = (0xff << (8 - rem)) & 0xff;
        return (net[bits / 8] & mask) == (a[bits / 8] & mask);
    }

    @Override
    public boolean fixed() {
        return false;
    }

    @Override
    public String spec() {
        return spec;
    }
}
