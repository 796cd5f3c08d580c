package dev.postern.smtpd;

import dev.postern.maps.LookupException;
import dev.postern.maps.LookupTable;
import dev.postern.maps.Maps;

import java.net.InetAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * mynetworks: a list of {@code addr/len}, {@code [ipv6]/len}, bare addresses and {@code type:table}
 * patterns (looked up by client address, any result = match). When mynetworks is not set,
 * mynetworks_style decides: {@code host} = this machine's own addresses, {@code subnet} (and
 * {@code class}, which Postern narrows to subnet) = the subnets of its interfaces.
 */
final class NetworkList {
    private record Cidr(byte[] net, int bits) {
        boolean contains(byte[] addr) {
            if (addr.length != net.length) {
                return false;
            }
            int full = bits / 8;
            for (int i = 0; i < full; i++) {
                if (addr[i] != net[i]) {
                    return false;
                }
            }
            int rem = bits % 8;
            if (rem == 0) {
                return true;
            }
            int mask = (0xff << (8 - rem)) & 0xff;
            return (addr[full] & mask) == (net[full] & mask);
        }
    }

    private final List<Cidr> networks;
    private final List<LookupTable> tables;

    private NetworkList(List<Cidr> networks, List<LookupTable> tables) {
        this.networks = networks;
        this.tables = tables;
    }

    /**
     * @param parameter the list's parameter, named first in an error ("mynetworks: bad network
     *                  entry ..."), so that check points at the line that sets it
     * @throws IllegalArgumentException naming the parameter and the bad entry
     */
    static NetworkList of(List<String> entries, String style, String parameter) {
        List<Cidr> nets = new ArrayList<>();
        List<LookupTable> tables = new ArrayList<>();
        if (entries == null) {
            nets.addAll(styleNetworks(style));
        } else {
            for (String e : entries) {
                if (e.isEmpty()) {
                    continue;
                }
                if (!e.startsWith("[") && e.indexOf(':') > 0 && !looksLikeIpv6(e)) {
                    tables.add(Maps.open(e));
                } else {
                    try {
                        nets.add(parse(e));
                    } catch (IllegalArgumentException bad) {
                        throw new IllegalArgumentException(parameter + ": " + bad.getMessage(), bad);
                    }
                }
            }
        }
        return new NetworkList(List.copyOf(nets), List.copyOf(tables));
    }

    private static boolean looksLikeIpv6(String e) {
        return e.chars().filter(ch -> ch == ':').count() >= 2;
    }

    static Cidr parse(String text) {
        String t = text.replace("[", "").replace("]", "");
        int slash = t.indexOf('/');
        String host = slash < 0 ? t : t.substring(0, slash);
        try {
            if (!host.matches("[0-9a-fA-F:.]+")) {
                throw new UnknownHostException(host);
            }
            byte[] addr = InetAddress.getByName(host).getAddress();
            int bits = slash < 0 ? addr.length * 8 : Integer.parseInt(t.substring(slash + 1));
            if (bits < 0 || bits > addr.length * 8) {
                throw new NumberFormatException();
            }
            return new Cidr(addr, bits);
        } catch (UnknownHostException | NumberFormatException e) {
            throw new IllegalArgumentException("bad network entry \"" + text
                    + "\": use address/prefix-length, e.g. 192.168.1.0/24 or [2001:db8::]/32");
        }
    }

    private static List<Cidr> styleNetworks(String style) {
        List<Cidr> nets = new ArrayList<>();
        nets.add(parse("127.0.0.0/8"));
        nets.add(parse("[::1]/128"));
        try {
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                for (InterfaceAddress ia : ni.getInterfaceAddresses()) {
                    byte[] a = ia.getAddress().getAddress();
                    int bits = style.equals("host") ? a.length * 8 : ia.getNetworkPrefixLength();
                    nets.add(new Cidr(a, Math.max(0, Math.min(bits, a.length * 8))));
                }
            }
        } catch (SocketException e) {
            // Loopback alone is still a correct (narrower) answer.
        }
        return nets;
    }

    boolean contains(InetAddress address) throws LookupException {
        byte[] a = address.getAddress();
        for (Cidr c : networks) {
            if (c.contains(a)) {
                return true;
            }
        }
        for (LookupTable t : tables) {
            if (t.lookup(PeerNames.printable(address)).isPresent()) {
                return true;
            }
        }
        return false;
    }
}
