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
    private final WatchedFile<List<Rule>> rules;

    CidrTable(String spec, Path file) {
        this.spec = spec;
        this.rules = new WatchedFile<>(spec, file, CidrTable::parse, false);
    }

    /** Errors name file:line and what is wrong, never the line's text. */
    private static List<Rule> parse(Path file) throws IOException {
        List<Rule> r = new ArrayList<>();
        {
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
                    a = literal(host);
                    if (a == null) {
                        throw new NumberFormatException();
                    }
                    bits = slash < 0 ? a.length * 8 : Integer.parseInt(net.substring(slash + 1));
                } catch (IOException | NumberFormatException e) {
                    throw new IllegalArgumentException(file + ":" + l.line() + ": bad network address; write e.g. 192.0.2.0/24 or 2001:db8::/32");
                }
                if (bits < 0 || bits > a.length * 8) {
                    throw new IllegalArgumentException(file + ":" + l.line() + ": bad network prefix length (at most "
                            + a.length * 8 + ")");
                }
                if (hostBits(a, bits)) {
                    throw new IllegalArgumentException(file + ":" + l.line() + ": non-null host address bits"
                            + " (the address must be the network's first one)");
                }
                r.add(new Rule(a, bits, kv[1].strip()));
            }
        }
        return List.copyOf(r);
    }

    @Override
    public Optional<String> lookup(String key) throws LookupException {
        List<Rule> current = rules.current();
        byte[] a;
        try {
            a = literal(key);
            if (a == null) {
                return Optional.empty();
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        for (Rule r : current) {
            if (r.net().length == a.length && prefixMatch(r.net(), a, r.bits())) {
                return Optional.of(r.value());
            }
        }
        return Optional.empty();
    }

    /**
     * The bytes of an IPv4 dotted quad or an IPv6 literal, or null. Never a DNS query: the JDK
     * only resolves strings that are neither (this runs on smtpd's event loops).
     */
    private static byte[] literal(String s) throws java.net.UnknownHostException {
        if (s.indexOf(':') >= 0 ? !s.matches("[0-9a-fA-F:.]+") : !s.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            return null;
        }
        return InetAddress.getByName(s).getAddress();
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
