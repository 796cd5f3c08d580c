package dev.postern.util;

import java.net.Inet6Address;
import java.net.InetAddress;

/** IP addresses written as Postfix writes them (inet_ntop), not as the JDK does. */
public final class IpAddresses {
    private IpAddresses() {}

    /** Dotted quad, or compressed IPv6 without zone: {@code ::1}, not {@code 0:0:0:0:0:0:0:1}. */
    public static String printable(InetAddress address) {
        if (address instanceof Inet6Address) {
            return ipv6(address.getAddress());
        }
        return address.getHostAddress();
    }

    /**
     * inet_ntop(AF_INET6) as glibc writes it: the longest run (length ≥ 2) of zero 16-bit groups is
     * "::"; {@code ::a.b.c.d} and {@code ::ffff:a.b.c.d} keep the embedded IPv4 dotted quad.
     */
    public static String ipv6(byte[] a) {
        if (a.length != 16) {
            throw new IllegalArgumentException("not an IPv6 address");
        }
        int[] w = new int[8];
        for (int i = 0; i < 8; i++) {
            w[i] = ((a[2 * i] & 0xff) << 8) | (a[2 * i + 1] & 0xff);
        }
        int bestBase = -1;
        int bestLen = 0;
        int curBase = -1;
        int curLen = 0;
        for (int i = 0; i < 8; i++) {
            if (w[i] == 0) {
                if (curBase < 0) {
                    curBase = i;
                    curLen = 1;
                } else {
                    curLen++;
                }
            } else if (curBase >= 0) {
                if (curLen > bestLen) {
                    bestBase = curBase;
                    bestLen = curLen;
                }
                curBase = -1;
            }
        }
        if (curBase >= 0 && curLen > bestLen) {
            bestBase = curBase;
            bestLen = curLen;
        }
        if (bestLen < 2) {
            bestBase = -1;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
                if (i == bestBase) {
                    sb.append(':');
                }
                continue;
            }
            if (i != 0) {
                sb.append(':');
            }
            // Embedded IPv4: ::a.b.c.d (compatible) or ::ffff:a.b.c.d (mapped), as glibc prints them.
            if (i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && w[5] == 0xffff))) {
                sb.append(a[12] & 0xff).append('.').append(a[13] & 0xff).append('.')
                        .append(a[14] & 0xff).append('.').append(a[15] & 0xff);
                return sb.toString();
            }
            sb.append(Integer.toHexString(w[i]));
        }
        if (bestBase >= 0 && bestBase + bestLen == 8) {
            sb.append(':');
        }
        return sb.toString();
    }
}
