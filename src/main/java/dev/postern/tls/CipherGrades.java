package dev.postern.tls;

import io.netty.handler.ssl.OpenSsl;

import javax.net.ssl.SSLContext;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Postfix cipher grades to a cipher suite list for the provider in use. Postfix hands OpenSSL
 * strings such as {@code aNULL:-aNULL:HIGH:@STRENGTH}; here the same intent is applied to the
 * suites the provider supports: anonymous and NULL-encryption suites never (except the null
 * grade, which no supported provider can offer), high = 128-bit and stronger AEAD/CBC without 3DES,
 * medium also 3DES, low and export everything else the provider still has (modern providers have
 * no export or DES suites, so these equal medium). TLS 1.3 suites are not graded (OpenSSL does not
 * grade them either) but can be excluded by their full name. An exclude word is what Postfix hands
 * OpenSSL: a suite's IANA or OpenSSL name, one dash-separated part of its OpenSSL name
 * ({@code CHACHA20}, {@code AES128}, {@code GCM}...), or one of OpenSSL's cipher aliases
 * ({@code aNULL}, {@code MD5}, {@code SHA1}, {@code 3DES}, {@code RC4}, {@code kRSA}, {@code aRSA},
 * {@code RSA}, {@code kEDH}, {@code kEECDH}, {@code aECDSA}, {@code AESGCM}, {@code CAMELLIA},
 * {@code HIGH}, {@code MEDIUM}...), and {@code a+b} names the suites that are both, as in OpenSSL.
 * A word that is none of these is refused ({@link #checkExclusions}): OpenSSL skips an unknown word,
 * so under Postfix a typo in an exclusion list silently excludes nothing.
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
        checkExclusions(exclude, openSsl);
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

    /**
     * OpenSSL's cipher aliases (ciphers(1)), upper case. An exclusion word may name one that this
     * library offers no suite for (kEDH under BoringSSL, RC4, aNULL): that excludes nothing and is
     * no mistake, so these are always accepted.
     */
    private static final Set<String> OPENSSL_ALIASES = Set.of("ALL", "HIGH", "MEDIUM", "LOW", "EXP", "EXPORT", "EXPORT40",
            "EXPORT56", "ENULL", "NULL", "ANULL", "KRSA", "ARSA", "RSA", "KDHR", "KDHD", "KDH", "KDHE", "KEDH", "DH", "DHE",
            "EDH", "ADH", "KEECDH", "KECDHE", "ECDH", "ECDHE", "EECDH", "AECDH", "ADSS", "DSS", "AECDSA", "ECDSA",
            "TLSV1.2", "TLSV1.0", "TLSV1", "SSLV3", "AES128", "AES256", "AES", "AESGCM", "AESCCM", "AESCCM8", "ARIA128",
            "ARIA256", "ARIA", "ARIAGCM", "CAMELLIA128", "CAMELLIA256", "CAMELLIA", "CHACHA20", "3DES", "DES", "RC4", "RC2",
            "IDEA", "SEED", "MD5", "SHA1", "SHA", "SHA256", "SHA384", "AEAD", "CBC", "PSK", "KPSK", "KECDHEPSK", "KDHEPSK",
            "KRSAPSK", "APSK", "SRP", "KSRP", "ASRP", "AGOST", "AGOST01", "KGOST", "GOST94", "GOST89MAC", "SUITEB128",
            "SUITEB128ONLY", "SUITEB192", "COMPLEMENTOFDEFAULT", "COMPLEMENTOFALL");

    static boolean excluded(String suite, Collection<String> exclude) {
        Set<String> tags = tags(suite);
        for (String e : exclude) {
            String w = e.trim().toUpperCase(Locale.ROOT);
            if (w.isEmpty()) {
                continue;
            }
            boolean all = true;
            for (String part : w.split("\\+")) {
                all &= !part.isEmpty() && tags.contains(part);
            }
            if (all) {
                return true;
            }
        }
        return false;
    }

    /**
     * Refuses an exclusion word (or a part of an {@code a+b} word) that names no suite, no part of a
     * suite's name and no OpenSSL alias: a typo would otherwise exclude nothing.
     *
     * @throws IllegalArgumentException naming the word
     */
    public static void checkExclusions(Collection<String> exclude, boolean openSsl) {
        Set<String> known = new HashSet<>(OPENSSL_ALIASES);
        for (String s : supported(openSsl)) {
            known.addAll(tags(s));
        }
        for (String e : exclude) {
            for (String part : e.trim().toUpperCase(Locale.ROOT).split("\\+")) {
                if (!part.isEmpty() && !known.contains(part)) {
                    throw new IllegalArgumentException("\"" + e.trim() + "\" in the cipher exclusions names no cipher and no OpenSSL"
                            + " cipher property; use cipher names or properties such as aNULL, MD5, SHA1, 3DES, RC4, kRSA, kEDH+aRSA");
                }
            }
        }
    }

    /**
     * What an exclusion word can name in a suite, upper case: its names, the dash-separated parts of
     * its OpenSSL name, and for a TLS 1.2-and-older suite OpenSSL's aliases for its key exchange,
     * authentication, encryption, MAC and strength (ciphers(1)). TLS 1.3 suites only by name: OpenSSL
     * configures them apart from the cipher list, so Postfix's exclusions never reach them.
     */
    static Set<String> tags(String suite) {
        String iana = suite.toUpperCase(Locale.ROOT);
        String openSslName = TlsSummary.openSslName(suite).toUpperCase(Locale.ROOT);
        Set<String> t = new HashSet<>(Arrays.asList(openSslName.split("-")));
        t.add(iana);
        t.add(openSslName);
        int with = iana.indexOf("_WITH_");
        if (!iana.startsWith("TLS_") || with < 0) {
            return t;
        }
        t.add("ALL");
        String kxAuth = iana.substring(4, with);
        String kx = kxAuth.contains("_") ? kxAuth.substring(0, kxAuth.indexOf('_')) : kxAuth;
        String auth = kxAuth.contains("_") ? kxAuth.substring(kxAuth.indexOf('_') + 1) : kxAuth;
        switch (kx) {
            case "RSA" -> t.addAll(List.of("KRSA", "RSA"));
            case "ECDHE" -> t.addAll(List.of("KECDHE", "KEECDH", "ECDHE", "EECDH", "ECDH"));
            case "DHE" -> t.addAll(List.of("KDHE", "KEDH", "DHE", "EDH", "DH"));
            default -> { }
        }
        switch (auth) {
            case "RSA" -> t.addAll(List.of("ARSA", "RSA"));
            case "ECDSA" -> t.addAll(List.of("AECDSA", "ECDSA"));
            case "DSS" -> t.addAll(List.of("ADSS", "DSS"));
            default -> { }
        }
        String cipherMac = iana.substring(with + 6);
        String[] cm = cipherMac.split("_");
        boolean aead = cipherMac.contains("_GCM_") || cipherMac.contains("_CCM") || cipherMac.contains("POLY1305");
        if (cm[0].equals("AES") || cm[0].equals("CAMELLIA") || cm[0].equals("ARIA")) {
            t.add(cm[0]);
            t.add(cm[0] + cm[1]);
            if (cipherMac.contains("_GCM_")) {
                t.add(cm[0] + "GCM");
            }
            if (cipherMac.contains("_CCM_8")) {
                t.add(cm[0] + "CCM8");
            } else if (cipherMac.contains("_CCM")) {
                t.add(cm[0] + "CCM");
            }
        } else if (cm[0].equals("CHACHA20")) {
            t.add("CHACHA20");
        } else if (cm[0].equals("3DES")) {
            t.add("3DES");
        } else if (cm[0].equals("RC4")) {
            t.add("RC4");
        } else if (cm[0].equals("NULL")) {
            t.addAll(List.of("ENULL", "NULL"));
        }
        String mac = cm[cm.length - 1];
        if (aead) {
            t.add("AEAD");
        } else {
            switch (mac) {
                case "SHA" -> t.addAll(List.of("SHA1", "SHA"));
                case "SHA256", "SHA384", "MD5" -> t.add(mac);
                default -> { }
            }
        }
        t.add(aead || mac.equals("SHA256") || mac.equals("SHA384") ? "TLSV1.2" : "TLSV1.0");
        if (!aead && !mac.equals("SHA256") && !mac.equals("SHA384")) {
            t.addAll(List.of("SSLV3", "TLSV1"));
        }
        int bits = TlsSummary.bits(suite)[0];
        t.add(bits >= 128 ? "HIGH" : bits >= 112 ? "MEDIUM" : "LOW");
        return t;
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
