package dev.postern.tls;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * {@code postern check} (and start) warnings about smtpd's certificates that Postfix is silent
 * about: a server or CA certificate expired or expiring within 30 days, server certificate names
 * that do not cover myhostname, a certificate without serverAuth used as the server certificate,
 * and a postern_smtpd_tls_crl_file that makes every client certificate untrusted (unreadable,
 * expired, not signed by the CA). An expired server certificate and an all-expired CA file are
 * errors ({@link #refuseExpired}); a key that does not match and an unreadable or empty CA file
 * are errors already in {@link TlsServer#create}.
 */
public final class ServerCertificateLint {
    static final Duration SOON = Duration.ofDays(30);
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String ANY_EKU = "2.5.29.37.0";

    private ServerCertificateLint() {
    }

    /** Warnings for one service's TLS files; the files were already validated by {@link TlsServer#create}. */
    public static List<String> warnings(ServerTlsSettings s, String myhostname, Instant now) {
        List<String> out = new ArrayList<>();
        try {
            X509Certificate leaf = Pem.certificates(s.certFile(), "smtpd_tls_cert_file").get(0);
            expiry(out, "smtpd_tls_cert_file " + s.certFile(), leaf, now);
            if (!covers(leaf, myhostname)) {
                out.add("smtpd_tls_cert_file " + s.certFile() + ": the certificate's names " + names(leaf)
                        + " do not cover myhostname " + myhostname + "; clients that verify the server name will refuse it");
            }
            List<String> eku = leaf.getExtendedKeyUsage();
            if (eku != null && !eku.contains(SERVER_AUTH) && !eku.contains(ANY_EKU)) {
                out.add("smtpd_tls_cert_file " + s.certFile() + ": the certificate is not for TLS servers (no serverAuth in "
                        + "extendedKeyUsage; a client certificate?): issue one with postern ca server");
            }
            if (s.caFile() != null) {
                for (X509Certificate ca : Pem.certificates(s.caFile(), "smtpd_tls_CAfile")) {
                    expiry(out, "smtpd_tls_CAfile " + s.caFile() + " (" + CertificateJudge.slashName(
                            ca.getSubjectX500Principal().getName()) + ")", ca, now);
                }
                if (s.crlFile() != null) {
                    String crl = new CertificateJudge(Pem.certificates(s.caFile(), "smtpd_tls_CAfile"), "sha256", s.crlFile()).crlProblem();
                    if (crl != null) {
                        out.add("postern_smtpd_tls_crl_file: " + crl);
                    }
                }
            }
        } catch (TlsSetupException | java.security.cert.CertificateParsingException e) {
            out.add(e.getMessage());
        }
        return out;
    }

    /**
     * An expired server certificate (every client that verifies refuses it), or a smtpd_tls_CAfile
     * in which every certificate has expired (no client certificate can be trusted): errors that
     * stop check and start, where Postfix would start and fail every handshake or every client.
     * A bundle with some expired certificates is only warned about ({@link #warnings}).
     */
    public static void refuseExpired(ServerTlsSettings s, Instant now) throws TlsSetupException {
        X509Certificate leaf = Pem.certificates(s.certFile(), "smtpd_tls_cert_file").get(0);
        if (leaf.getNotAfter().toInstant().isBefore(now)) {
            throw new TlsSetupException("smtpd_tls_cert_file", "smtpd_tls_cert_file " + s.certFile() + ": the certificate "
                    + names(leaf) + " expired at " + leaf.getNotAfter().toInstant() + "; clients refuse it",
                    "renew it (postern ca server --dir CA-DIR --cn " + CertificateJudge.commonName(
                            leaf.getSubjectX500Principal().getName()) + " --out-cert ... --out-key ..., or your CA's renewal) "
                            + "and point smtpd_tls_cert_file and smtpd_tls_key_file at the new files");
        }
        if (s.caFile() != null) {
            List<X509Certificate> cas = Pem.certificates(s.caFile(), "smtpd_tls_CAfile");
            if (cas.stream().allMatch(c -> c.getNotAfter().toInstant().isBefore(now))) {
                X509Certificate ca = cas.get(0);
                throw new TlsSetupException("smtpd_tls_CAfile", "smtpd_tls_CAfile " + s.caFile() + ": "
                        + (cas.size() == 1 ? "the CA certificate " + CertificateJudge.slashName(ca.getSubjectX500Principal().getName())
                        + " expired at " + ca.getNotAfter().toInstant() : "every CA certificate has expired")
                        + "; no client certificate can be trusted",
                        "make a new CA (postern ca init) or renew it, issue new client certificates, and point "
                                + "smtpd_tls_CAfile at the new CA certificate");
            }
        }
    }

    private static void expiry(List<String> out, String what, X509Certificate c, Instant now) {
        Instant end = c.getNotAfter().toInstant();
        if (end.isBefore(now)) {
            out.add(what + ": the certificate EXPIRED at " + end + "; clients will refuse it");
        } else if (end.isBefore(now.plus(SOON))) {
            out.add(what + ": the certificate expires at " + end + ", in "
                    + Duration.between(now, end).toDays() + " days; renew it");
        }
    }

    static boolean covers(X509Certificate c, String host) {
        List<String> dns = new ArrayList<>();
        try {
            Collection<List<?>> sans = c.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (((Integer) san.get(0)) == 2 || ((Integer) san.get(0)) == 7) {
                        dns.add(String.valueOf(san.get(1)));
                    }
                }
            }
        } catch (java.security.cert.CertificateParsingException e) {
            return false;
        }
        if (dns.isEmpty()) {
            dns.add(CertificateJudge.commonName(c.getSubjectX500Principal().getName())); // RFC 6125: CN only without SANs
        }
        String h = host.toLowerCase(Locale.ROOT);
        for (String n : dns) {
            String name = n.toLowerCase(Locale.ROOT);
            if (name.equals(h) || (name.startsWith("*.") && h.indexOf('.') > 0 && h.substring(h.indexOf('.')).equals(name.substring(1)))) {
                return true;
            }
        }
        return false;
    }

    private static String names(X509Certificate c) {
        try {
            Collection<List<?>> sans = c.getSubjectAlternativeNames();
            if (sans != null && !sans.isEmpty()) {
                return sans.stream().map(l -> String.valueOf(l.get(1))).toList().toString();
            }
        } catch (java.security.cert.CertificateParsingException ignored) {
            // fall back to the CN
        }
        return "[CN=" + CertificateJudge.commonName(c.getSubjectX500Principal().getName()) + "]";
    }
}
