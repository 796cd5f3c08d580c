package dev.postern.smtpd;

import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * The client's verified name and printable address, as Postfix logs them.
 *
 * <p>{@link #lookup}: the PTR name when its forward lookup leads back to the address, else
 * "unknown". Blocking; called off the event loop.
 *
 * <p>{@link #printable}: the address as Postfix's smtpd_peer.c gets it from
 * {@code sane_sockaddr_to_hostaddr()} (getnameinfo/inet_ntop with NI_NUMERICHOST): IPv6 in the
 * compressed form (RFC 5952: lower-case hex, no leading zeros, the longest run of two or more zero
 * groups as "::", the first one on a tie), never the JDK's {@code 0:0:0:0:0:0:0:1}, and without a
 * "%scope" suffix (Postfix requires the infrastructure to strip it). {@link #rfcAddress} adds the
 * RFC 5321 "IPv6:" prefix Postfix uses for state->rfc_addr in the Received: header.
 */
final class PeerNames {
    private PeerNames() {}

    static String lookup(InetAddress address) {
        if (address.isLoopbackAddress()) {
            return "localhost";
        }
        String name = address.getCanonicalHostName(); // the JDK does the forward check
        return name.equals(address.getHostAddress()) ? "unknown" : name;
    }

    /** Postfix's state->addr: dotted quad, or compressed IPv6 without zone. */
    static String printable(InetAddress address) {
        if (address instanceof Inet6Address) {
            return ipv6(address.getAddress());
        }
        return address.getHostAddress();
    }

    /** Postfix's state->rfc_addr (smtpd_peer.c: {@code concatenate(IPV6_COL, client_addr.buf)}). */
    static String rfcAddress(InetAddress address) {
        return address instanceof Inet6Address ? "IPv6:" + printable(address) : printable(address);
    }

    /**
     * inet_ntop(AF_INET6) as glibc writes it: the longest run (length ≥ 2) of zero 16-bit groups is
     * "::"; {@code ::a.b.c.d} and {@code ::ffff:a.b.c.d} keep the embedded IPv4 dotted quad.
     */
    static String ipv6(byte[] a) {
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
