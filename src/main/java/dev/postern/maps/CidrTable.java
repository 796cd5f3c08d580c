package dev.postern.maps;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** cidr_table(5): {@code network/prefix value} (IPv4 or IPv6, brackets optional), first match wins. */
final class CidrTable implements LookupTable {
    private record Rule(byte[] net, int bits, String value) {
    }

    private final String spec;
    private final List<Rule> rules;

    CidrTable(String spec, Path file) {
        this.spec = spec;
        List<Rule> r = new ArrayList<>();
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                String t = lines.get(i).strip();
                if (t.isEmpty() || t.startsWith("#")) {
                    continue;
                }
                String[] kv = t.split("\\s+", 2);
                if (kv.length < 2) {
                    throw new IllegalArgumentException(file + ":" + (i + 1) + ": expected \"network/prefix value\"");
                }
                String net = kv[0].replace("[", "").replace("]", "");
                int slash = net.indexOf('/');
                try {
                    byte[] a = InetAddress.getByName(slash < 0 ? net : net.substring(0, slash)).getAddress();
                    int bits = slash < 0 ? a.length * 8 : Integer.parseInt(net.substring(slash + 1));
                    r.add(new Rule(a, bits, kv[1].strip()));
                } catch (IOException | NumberFormatException e) {
                    throw new IllegalArgumentException(file + ":" + (i + 1) + ": bad network \"" + kv[0] + "\"");
                }
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
    public String spec() {
        return spec;
    }
}
