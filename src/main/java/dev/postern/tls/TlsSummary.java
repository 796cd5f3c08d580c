package dev.postern.tls;

import io.netty.handler.ssl.CipherSuiteConverter;

import javax.net.ssl.SSLSession;
import java.util.Locale;

/**
 * Postfix's one-line TLS summary, {@code TLSv1.3 with cipher TLS_AES_128_GCM_SHA256 (128/128 bits)},
 * used in the smtpd and smtp log lines and in smtpd's Received header. The cipher is named as
 * OpenSSL names it (what Postfix logs: {@code ECDHE-RSA-AES256-GCM-SHA384} for TLS 1.2), and the
 * bits are the bulk cipher's real key strength, read from the cipher's name: the MAC or PRF hash in
 * the name (the {@code SHA256} of {@code TLS_AES_128_GCM_SHA256}) says nothing about it.
 */
public final class TlsSummary {
    private TlsSummary() {}

    public static String of(SSLSession session) {
        return of(session.getProtocol(), session.getCipherSuite());
    }

    public static String of(String protocol, String cipherSuite) {
        int[] bits = bits(cipherSuite);
        return protocol + " with cipher " + openSslName(cipherSuite) + " (" + bits[0] + "/" + bits[1] + " bits)";
    }

    /** The OpenSSL name of a cipher suite (TLS 1.3 names are the same in both worlds). */
    static String openSslName(String cipherSuite) {
        if (cipherSuite.startsWith("TLS_") && cipherSuite.contains("_WITH_")) {
            String o = CipherSuiteConverter.toOpenSsl(cipherSuite, false);
            if (o != null) {
                return o;
            }
        }
        return cipherSuite;
    }

    /**
     * {effective, algorithm} bits as OpenSSL's SSL_CIPHER_get_bits reports them: AES and Camellia
     * and ARIA by their key size, ChaCha20 256, 3DES 112 of 168, RC4 128, NULL 0. Works on both IANA
     * ({@code TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}) and OpenSSL ({@code ECDHE-RSA-AES128-GCM-SHA256}) names.
     */
    public static int[] bits(String cipherSuite) {
        String c = cipherSuite.toUpperCase(Locale.ROOT);
        String bulk = c.contains("_WITH_") ? c.substring(c.indexOf("_WITH_") + 6) : c.startsWith("TLS_") ? c.substring(4) : c;
        String[] parts = bulk.split("[-_]");
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            String next = i + 1 < parts.length ? parts[i + 1] : "";
            if (p.equals("CHACHA20")) {
                return new int[] {256, 256};
            }
            if (p.equals("3DES") || p.equals("DES") && next.equals("EDE") || p.equals("DES") && next.equals("CBC3")) {
                return new int[] {112, 168};
            }
            if (p.equals("DES")) {
                return new int[] {56, 56};
            }
            if (p.equals("RC4")) {
                return new int[] {128, 128};
            }
            if (p.equals("NULL")) {
                return new int[] {0, 0};
            }
            for (String family : new String[] {"AES", "CAMELLIA", "ARIA"}) {
                if (p.startsWith(family)) {
                    String size = p.length() > family.length() ? p.substring(family.length()) : next;
                    if (size.equals("128") || size.equals("256") || size.equals("192")) {
                        int b = Integer.parseInt(size);
                        return new int[] {b, b};
                    }
                }
            }
        }
        return new int[] {0, 0};
    }
}
