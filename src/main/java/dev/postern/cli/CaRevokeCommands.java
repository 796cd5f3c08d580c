package dev.postern.cli;

import dev.postern.ca.CaDirectory;
import dev.postern.ca.IndexEntry;
import dev.postern.tls.Pem;
import dev.postern.util.AtomicFile;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.concurrent.Callable;

/** {@code postern ca revoke | crl | list}: what the CA issued, and taking it back. */
final class CaRevokeCommands {
    private CaRevokeCommands() {
    }

    @Command(name = "revoke", description = "Revoke a certificate issued by this CA (by its file or serial); "
            + "then publish a new CRL with 'postern ca crl'.")
    static final class Revoke implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Option(names = "--dir", required = true, description = "CA directory")
        Path dir;
        @ArgGroup(exclusive = true, multiplicity = "1")
        Which which;
        @Option(names = "--reason", description = "unspecified, keyCompromise, CACompromise, affiliationChanged, superseded, "
                + "cessationOfOperation or certificateHold")
        String reason;

        static final class Which {
            @Option(names = "--cert", required = true, description = "the certificate file (PEM)")
            Path cert;
            @Option(names = "--serial", required = true, description = "its serial number, hexadecimal (as 'postern ca list' shows)")
            String serial;
        }

        @Override
        public Integer call() throws Exception {
            BigInteger serial = which.cert != null ? Pem.certificates(which.cert, "--cert").get(0).getSerialNumber()
                    : CaCommand.serial(spec, which.serial);
            IndexEntry e;
            try {
                e = CaDirectory.open(dir).revoke(serial, reason);
            } catch (IllegalArgumentException bad) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--reason: " + bad.getMessage());
            }
            spec.commandLine().getOut().println("postern ca: revoked serial " + e.serialHex() + " " + e.subject()
                    + (e.reason().isEmpty() ? "" : " (" + e.reason() + ")") + "; publish it: postern ca crl --dir " + dir + " --out FILE");
            return 0;
        }
    }

    @Command(name = "crl", description = "Write a CRL (PEM) of every revoked certificate, for postern_smtpd_tls_crl_file. "
            + "Publish a new one before --days run out: an expired CRL makes the server trust no client certificate.")
    static final class Crl implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Option(names = "--dir", required = true, description = "CA directory")
        Path dir;
        @Option(names = "--out", required = true, description = "CRL file to write (PEM)")
        Path out;
        @Option(names = "--days", defaultValue = "30", description = "validity (nextUpdate) in days (default ${DEFAULT-VALUE})")
        int days;

        @Override
        public Integer call() throws Exception {
            // 0 is allowed, said aloud: a CRL expired at once is how one tests that the server fails
            // closed (it then trusts no client certificate); below 0 is a mistake.
            if (days < 0) {
                CaCommand.positiveDays(spec, days);
            } else if (days == 0) {
                spec.commandLine().getErr().println("postern ca: warning: --days 0: the CRL expires now; a server that reads it"
                        + " trusts no client certificate (for testing that it fails closed)");
            }
            X509CRL crl = CaDirectory.open(dir).crl(Duration.ofDays(days));
            String pem = "-----BEGIN X509 CRL-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                    .encodeToString(crl.getEncoded()) + "\n-----END X509 CRL-----\n";
            AtomicFile.write(out, pem.getBytes(StandardCharsets.US_ASCII));
            int n = crl.getRevokedCertificates() == null ? 0 : crl.getRevokedCertificates().size();
            spec.commandLine().getOut().println("postern ca: wrote " + out + ": " + n + " revoked, next update "
                    + crl.getNextUpdate().toInstant());
            return 0;
        }
    }

    @Command(name = "list", description = "List issued certificates: serial, status (valid, revoked, expired), not-after, "
            + "subject, and the sha256 fingerprint with the CN as a relay_clientcerts line.")
    static final class ListIssued implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Option(names = "--dir", required = true, description = "CA directory")
        Path dir;

        @Override
        public Integer call() throws Exception {
            CaDirectory ca = CaDirectory.open(dir);
            PrintWriter out = spec.commandLine().getOut();
            out.println("# serial  status  not-after  subject  relay_clientcerts line (sha256 fingerprint, CN)");
            Instant now = Instant.now();
            for (IndexEntry e : ca.entries()) {
                X509Certificate c = ca.certificate(e);
                String cn = e.subject().replaceFirst("^.*?/CN=", "").replaceAll("/.*$", "");
                out.println(e.serialHex() + "  " + e.status(now) + "  " + e.notAfter() + "  " + e.subject() + "  "
                        + fingerprint(c) + " " + cn);
            }
            out.flush();
            return 0;
        }

        static String fingerprint(X509Certificate c) throws Exception {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(c.getEncoded());
            StringBuilder sb = new StringBuilder();
            for (byte b : d) {
                sb.append(sb.length() == 0 ? "" : ":").append(String.format("%02X", b));
            }
            return sb.toString();
        }
    }
}
