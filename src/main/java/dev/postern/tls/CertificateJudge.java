package dev.postern.tls;

import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Judges a client certificate chain against the CA file only (never the JDK's trust store), with
 * Postfix's failure wording, and computes Postfix-style fingerprints.
 */
final class CertificateJudge {
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final String ANY_EKU = "2.5.29.37.0";
    private static final String NS_CERT_TYPE = "2.16.840.1.113730.1.1";

    private final Set<TrustAnchor> anchors;
    private final String digest;
    private final CrlFile crl;

    CertificateJudge(List<X509Certificate> caCertificates, String digest) {
        this(caCertificates, digest, null);
    }

    /** {@code crlFile}: postern_smtpd_tls_crl_file, or null for no revocation checking (Postfix's behaviour). */
    CertificateJudge(List<X509Certificate> caCertificates, String digest, java.nio.file.Path crlFile) {
        this.anchors = new HashSet<>();
        caCertificates.forEach(c -> anchors.add(new TrustAnchor(c, null)));
        this.digest = digest;
        this.crl = crlFile == null ? null : new CrlFile(crlFile, anchors);
    }

    /** Why the CRL makes every certificate untrusted now, or null (also null without a CRL file). */
    String crlProblem() {
        return crl == null ? null : crl.problem(crl.current(), java.time.Instant.now());
    }

    /**
     * Verdicts by presented chain (its exact bytes): a submission client presents the same
     * certificate on every connection, and a PKIX validation costs more than the rest of the
     * session's CPU. Expiry is re-checked on every hit; the anchors never change for one judge.
     */
    private final java.util.Map<java.nio.ByteBuffer, Verdict> cache =
            java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>(64, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(java.util.Map.Entry<java.nio.ByteBuffer, Verdict> e) {
                    return size() > 1000;
                }
            });

    /**
     * A cached verdict with the leaf's validity period, read when the chain was judged: a hit
     * compares two numbers instead of having the leaf parsed again (Netty's peer certificates are
     * parsed on first use; checkValidity() was most of a hit's cost).
     */
    private record Verdict(PeerCertificate certificate, long notBefore, long notAfter) {
        boolean validAt(long now) {
            return now >= notBefore && now <= notAfter;
        }
    }

    PeerCertificate judge(X509Certificate[] chain) {
        PeerCertificate verdict = judgeChain(chain);
        if (crl == null || !verdict.trusted()) {
            return verdict;
        }
        CrlFile.State s = crl.current();
        String why = crl.problem(s, java.time.Instant.now());
        if (why == null) {
            why = crl.revocation(s, chain);
        }
        return why == null ? verdict : verdict.untrusted(why);
    }

    /** The chain's verdict without revocation (cached: the CRL is consulted on every call instead). */
    private PeerCertificate judgeChain(X509Certificate[] chain) {
        java.nio.ByteBuffer key = chainKey(chain);
        Verdict cached = cache.get(key);
        if (cached != null && cached.validAt(System.currentTimeMillis())) {
            return cached.certificate();
        }
        PeerCertificate fresh = judgeUncached(chain);
        cache.put(key, new Verdict(fresh, chain[0].getNotBefore().getTime(), chain[0].getNotAfter().getTime()));
        return fresh;
    }

    private static java.nio.ByteBuffer chainKey(X509Certificate[] chain) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (X509Certificate c : chain) {
            b.writeBytes(encoded(c));
        }
        return java.nio.ByteBuffer.wrap(b.toByteArray());
    }

    private PeerCertificate judgeUncached(X509Certificate[] chain) {
        X509Certificate leaf = chain[0];
        String failure = failure(chain);
        return new PeerCertificate(failure == null ? PeerCertificate.Status.TRUSTED : PeerCertificate.Status.UNTRUSTED,
                failure == null ? "" : failure, commonName(leaf.getSubjectX500Principal().getName()),
                commonName(leaf.getIssuerX500Principal().getName()),
                fingerprint(encoded(leaf)), fingerprint(leaf.getPublicKey().getEncoded()), emails(leaf));
    }

    /** The leaf's rfc822Name SANs (type 1), as written. */
    private static List<String> emails(X509Certificate leaf) {
        List<String> out = new ArrayList<>();
        try {
            java.util.Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (san.size() >= 2 && Integer.valueOf(1).equals(san.get(0)) && san.get(1) instanceof String s) {
                        out.add(s);
                    }
                }
            }
        } catch (java.security.cert.CertificateParsingException e) {
            // an unparsable SAN extension: no email identities
        }
        return out;
    }

    private String failure(X509Certificate[] chain) {
        X509Certificate leaf = chain[0];
        try {
            leaf.checkValidity();
        } catch (CertificateExpiredException e) {
            return "certificate has expired";
        } catch (CertificateNotYetValidException e) {
            return "certificate is not yet valid";
        }
        if (!usableForClient(leaf)) {
            return "not designated for use as a client certificate";
        }
        if (anchors.isEmpty()) {
            return "untrusted issuer " + slashName(leaf.getIssuerX500Principal().getName());
        }
        try {
            List<X509Certificate> path = new ArrayList<>(Arrays.asList(chain));
            // The anchor itself must not be in the path.
            path.removeIf(c -> anchors.stream().anyMatch(a -> a.getTrustedCert().equals(c)));
            if (path.isEmpty()) {
                return null; // the client presented a CA certificate itself as its leaf and we trust it
            }
            PKIXParameters params = new PKIXParameters(anchors);
            params.setRevocationEnabled(false);
            CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
            return null;
        } catch (CertPathValidatorException e) {
            if (e.getReason() == CertPathValidatorException.BasicReason.EXPIRED) {
                return "certificate has expired";
            }
            if (e.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
                return "certificate is not yet valid";
            }
            return "untrusted issuer " + slashName(leaf.getIssuerX500Principal().getName());
        } catch (Exception e) {
            return "certificate verification failed: " + e.getMessage();
        }
    }

    /** OpenSSL's "sslclient" purpose: EKU (if present) has clientAuth; nsCertType (if present) has the client bit. */
    private static boolean usableForClient(X509Certificate c) {
        try {
            List<String> eku = c.getExtendedKeyUsage();
            if (eku != null && !eku.contains(CLIENT_AUTH) && !eku.contains(ANY_EKU)) {
                return false;
            }
        } catch (Exception e) {
            return false;
        }
        byte[] ns = c.getExtensionValue(NS_CERT_TYPE);
        if (ns != null && ns.length >= 2) {
            // OCTET STRING wrapping a BIT STRING; the first content byte holds the flags, 0x80 = SSL client.
            byte flags = ns.length > 5 ? ns[5] : ns[ns.length - 1];
            return (flags & 0x80) != 0;
        }
        return true;
    }

    private static byte[] encoded(X509Certificate c) {
        try {
            return c.getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            return new byte[0];
        }
    }

    String fingerprint(byte[] der) {
        try {
            byte[] d = MessageDigest.getInstance(javaDigest(digest)).digest(der);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < d.length; i++) {
                sb.append(i == 0 ? "" : ":").append(String.format("%02X", d[i]));
            }
            return sb.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String javaDigest(String postfixName) {
        return switch (postfixName.toLowerCase(Locale.ROOT)) {
            case "md5" -> "MD5";
            case "sha1" -> "SHA-1";
            case "sha384" -> "SHA-384";
            case "sha512" -> "SHA-512";
            default -> "SHA-256";
        };
    }

    static String commonName(String rfc2253) {
        try {
            for (Rdn rdn : new LdapName(rfc2253).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return rdn.getValue().toString();
                }
            }
        } catch (Exception ignored) {
            // fall through
        }
        return "";
    }

    /** OpenSSL's one-line form: /CN=Bad CA/O=Example. */
    static String slashName(String rfc2253) {
        try {
            List<Rdn> rdns = new ArrayList<>(new LdapName(rfc2253).getRdns());
            StringBuilder sb = new StringBuilder();
            for (Rdn r : rdns) {
                sb.append('/').append(r.getType()).append('=').append(r.getValue());
            }
            return sb.toString();
        } catch (Exception e) {
            return rfc2253;
        }
    }
}
