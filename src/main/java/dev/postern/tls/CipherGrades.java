package dev.postern.tls;

import io.netty.handler.ssl.OpenSsl;

import javax.net.ssl.SSLContext;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * Postfix cipher grades to a cipher suite list for the provider in use. Postfix hands OpenSSL
 * strings such as {@code aNULL:-aNULL:HIGH:@STRENGTH}; here the same intent is applied to the
 * suites the provider supports: anonymous and NULL-encryption suites never (except the null
 * grade, which no supported provider can offer), high = 128-bit and stronger AEAD/CBC without 3DES,
 * medium also 3DES, low and export everything else the provider still has (modern providers have
 * no export or DES suites, so these equal medium). TLS 1.3 suites are not graded (OpenSSL does not
 * grade them either) but can be excluded by name. An exclude word matches a suite's IANA or
 * OpenSSL name, or one dash-separated part of its OpenSSL name ({@code CHACHA20}, {@code AES128},
 * {@code SHA} for the SHA-1 MAC, {@code 3DES}, {@code RSA}...).
 */
public final class CipherGrades {
    private CipherGrades() {}

    /** @throws IllegalArgumentException for an unknown grade, or when nothing is left */
    public static List<String> suites(String grade, Collection<String> exclude, boolean openSsl) {
        String g = grade == null || grade.isBlank() ? "medium" : grade.trim().toLowerCase(Locale.ROOT);
        int minBits = switch (g) {
            case "high" -> 128;
            case "medium" -> 112;
            case "low", "export" -> 1;
            case "null" -> throw new IllegalArgumentException("cipher grade \"null\" is not available: the TLS library has no"
                    + " NULL-encryption ciphers; use high or medium");
            default -> throw new IllegalArgumentException("unknown cipher grade \"" + grade + "\"; use high, medium, low or export");
        };
        List<String> out = new ArrayList<>();
        for (String s : supported(openSsl)) {
            String u = s.toUpperCase(Locale.ROOT);
            // Netty lists SSL_-prefixed aliases of the TLS_ names; PSK suites need keys Postern never has.
            if (u.startsWith("SSL_") || u.contains("_PSK_") || u.contains("_ANON_") || u.contains("SCSV") || u.contains("_NULL_") || u.endsWith("_NULL") || u.contains("EXPORT")) {
                continue;
            }
            boolean tls13 = !u.contains("_WITH_");
            int bits = TlsSummary.bits(s)[0];
            if (!tls13 && (bits < minBits || g.equals("high") && bits == 112)) {
                continue;
            }
            if (!excluded(s, exclude)) {
                out.add(s);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("cipher grade \"" + g + "\" with exclusions " + exclude + " leaves no cipher");
        }
        return out;
    }

    static boolean excluded(String suite, Collection<String> exclude) {
        String openSslName = TlsSummary.openSslName(suite);
        List<String> parts = Arrays.asList(openSslName.toUpperCase(Locale.ROOT).split("-"));
        for (String e : exclude) {
            String w = e.trim().toUpperCase(Locale.ROOT);
            if (w.isEmpty()) {
                continue;
            }
            if (w.equals(suite.toUpperCase(Locale.ROOT)) || w.equals(openSslName.toUpperCase(Locale.ROOT)) || parts.contains(w)
                    || w.equals("3DES") && parts.contains("CBC3") || w.equals("ANULL") && suite.contains("_anon_")) {
                return true;
            }
        }
        return false;
    }

    private static List<String> supported(boolean openSsl) {
        if (openSsl) {
            return new ArrayList<>(OpenSsl.availableJavaCipherSuites());
        }
        try {
            return Arrays.asList(SSLContext.getDefault().getSupportedSSLParameters().getCipherSuites());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
