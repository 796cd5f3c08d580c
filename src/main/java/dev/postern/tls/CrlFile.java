package dev.postern.tls;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.cert.CRL;
import java.security.cert.CertificateFactory;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * postern_smtpd_tls_crl_file: certificate revocation lists (PEM or DER, one or more, as {@code
 * postern ca crl} or {@code openssl ca -gencrl} write them), re-read when the file changes (its
 * modification time, size or inode), without a restart. Each CRL must be signed by a certificate
 * of smtpd_tls_CAfile. Fails closed: while the file is unreadable, holds no valid CRL, or a CRL is
 * past its nextUpdate, every client certificate is untrusted and {@link #problem} says why.
 * Change detection runs off the event loops: one shared thread stats every CRL file once a second
 * ({@link #CHECK_MILLIS}) and re-reads it when it changed, so a handshake only reads the current
 * snapshot (no stat, no lock). A CrlFile is held weakly by that thread: one from an old
 * configuration stops being checked when it is collected.
 */
final class CrlFile {
    static final long CHECK_MILLIS = 1000;
    private static final java.util.concurrent.ScheduledExecutorService CHECKER =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "postern-crl");
                t.setDaemon(true);
                return t;
            });

    /** What was loaded from one version of the file: the CRLs, or why none can be used. */
    record State(Object version, List<X509CRL> crls, String unusable) {
    }

    private final Path file;
    private final Set<TrustAnchor> anchors;
    private volatile State state;

    CrlFile(Path file, Set<TrustAnchor> anchors) {
        this.file = file;
        this.anchors = anchors;
        this.state = load(version());
        java.lang.ref.WeakReference<CrlFile> self = new java.lang.ref.WeakReference<>(this);
        java.util.concurrent.atomic.AtomicReference<java.util.concurrent.Future<?>> task = new java.util.concurrent.atomic.AtomicReference<>();
        task.set(CHECKER.scheduleWithFixedDelay(() -> {
            CrlFile f = self.get();
            if (f != null) {
                f.refresh();
            } else if (task.get() != null) {
                task.get().cancel(false);
            }
        }, CHECK_MILLIS, CHECK_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS));
    }

    /** The snapshot as of the last check (at most {@link #CHECK_MILLIS} old): no file access. */
    State current() {
        return state;
    }

    /** Re-reads the file if it changed since the last look (the checker thread's job). */
    void refresh() {
        Object v = version();
        if (!Objects.equals(v, state.version())) {
            state = load(v);
        }
    }

    /** Why no certificate can be trusted now (unreadable, invalid or expired CRL), or null. */
    String problem(State s, Instant now) {
        if (s.unusable() != null) {
            return s.unusable();
        }
        for (X509CRL crl : s.crls()) {
            if (crl.getNextUpdate() != null && crl.getNextUpdate().toInstant().isBefore(now)) {
                return "CRL " + file + " from " + CertificateJudge.slashName(crl.getIssuerX500Principal().getName())
                        + " expired at " + crl.getNextUpdate().toInstant()
                        + ": no client certificate is trusted until a current CRL is installed";
            }
        }
        return null;
    }

    /** "certificate revoked ..." when the leaf (or an intermediate) is listed; "no CRL ..." when its issuer has none. */
    String revocation(State s, X509Certificate[] chain) {
        for (X509Certificate c : chain) {
            if (anchors.stream().anyMatch(a -> a.getTrustedCert().equals(c))) {
                continue;
            }
            X509CRL crl = crlOf(s, c);
            if (crl == null) {
                if (c == chain[0]) {
                    return "no CRL from issuer " + CertificateJudge.slashName(c.getIssuerX500Principal().getName())
                            + " in " + file + " (postern_smtpd_tls_crl_file must hold one per CA)";
                }
                continue;
            }
            X509CRLEntry e = crl.getRevokedCertificate(c);
            if (e != null) {
                return "certificate revoked: serial " + hex(c.getSerialNumber()) + " since " + e.getRevocationDate().toInstant()
                        + (e.getRevocationReason() == null ? "" : ", reason " + e.getRevocationReason().name())
                        + " (" + file + ")";
            }
        }
        return null;
    }

    private static X509CRL crlOf(State s, X509Certificate c) {
        for (X509CRL crl : s.crls()) {
            if (crl.getIssuerX500Principal().equals(c.getIssuerX500Principal())) {
                return crl;
            }
        }
        return null;
    }

    private static String hex(BigInteger serial) {
        String h = serial.toString(16).toUpperCase(java.util.Locale.ROOT);
        return h.length() % 2 == 0 ? h : "0" + h;
    }

    private Object version() {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return List.of(a.lastModifiedTime(), a.size(), String.valueOf(a.fileKey()));
        } catch (IOException e) {
            return "missing: " + e.getMessage();
        }
    }

    private State load(Object version) {
        Collection<? extends CRL> all;
        try (InputStream in = Files.newInputStream(file)) {
            all = CertificateFactory.getInstance("X.509").generateCRLs(in);
        } catch (IOException e) {
            return new State(version, List.of(), "CRL file " + file + " is unreadable (" + e
                    + "): no client certificate is trusted until it can be read");
        } catch (Exception e) {
            return new State(version, List.of(), "CRL file " + file + " holds no valid CRL (" + e.getMessage()
                    + "): no client certificate is trusted until it is fixed");
        }
        List<X509CRL> crls = new ArrayList<>();
        for (CRL c : all) {
            X509CRL crl = (X509CRL) c;
            if (!signedByAnchor(crl)) {
                return new State(version, List.of(), "CRL " + file + " from " + CertificateJudge.slashName(crl.getIssuerX500Principal().getName())
                        + " is not signed by a certificate of smtpd_tls_CAfile: no client certificate is trusted until it is replaced");
            }
            crls.add(crl);
        }
        if (crls.isEmpty()) {
            return new State(version, List.of(), "CRL file " + file + " holds no CRL: no client certificate is trusted until it does");
        }
        return new State(version, List.copyOf(crls), null);
    }

    private boolean signedByAnchor(X509CRL crl) {
        for (TrustAnchor a : anchors) {
            X509Certificate ca = a.getTrustedCert();
            if (ca.getSubjectX500Principal().equals(crl.getIssuerX500Principal())) {
                try {
                    crl.verify(ca.getPublicKey());
                    return true;
                } catch (Exception e) {
                    // try another anchor with the same name
                }
            }
        }
        return false;
    }
}
