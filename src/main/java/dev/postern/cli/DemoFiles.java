package dev.postern.cli;

import dev.postern.ca.CertificateAuthority;
import dev.postern.ca.IssuedCertificate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The files of {@code postern demo}: a throwaway CA with the seed's certificate set, the seed's
 * server-side lines for the submission server (in the demo directory itself) and the seed's
 * client-side lines and map files for the desktop MTA (in {@code desktop/}), hosts and ports adapted
 * to loopback. The seed's domain is {@code my.domain.example}; its subdomains go the same way by a
 * {@code .my.domain.example} key (the seed's author could not find how; Postern's router can).
 */
final class DemoFiles {
    /** The seed's own sender domain, routed to the submission server. */
    static final String ROUTED_DOMAIN = "my.domain.example";

    private DemoFiles() {
    }

    /** CA, server certificate for localhost, good client certificate, "bad" CA and its client certificate. */
    static void pki(Path d) throws IOException {
        Files.createDirectories(d);
        CertificateAuthority ca = CertificateAuthority.create("Postern Demo CA", Duration.ofDays(365));
        CertificateAuthority bad = CertificateAuthority.create("Bad Demo CA", Duration.ofDays(365));
        Files.writeString(d.resolve("CAcert.pem"), ca.certificatePem());
        Files.writeString(d.resolve("bad-CAcert.pem"), bad.certificatePem());
        IssuedCertificate server = ca.issueServer("localhost", List.of("localhost", "127.0.0.1"), Duration.ofDays(365));
        server.writePem(d.resolve("server-cert.pem"), d.resolve("server-key.pem"));
        ca.issueClient("desktop.demo.example", Duration.ofDays(365)).writePem(d.resolve("client-cert.pem"), d.resolve("client-key.pem"));
        bad.issueClient("desktop.demo.example", Duration.ofDays(365)).writePem(d.resolve("bad-client-cert.pem"),
                d.resolve("bad-client-key.pem"));
    }

    /** The submission server: main.cf and master.cf in {@code d}, relaying to "the world" at {@code worldPort}. */
    static void submission(Path d, String listen, int worldPort, String retry) throws IOException {
        Files.writeString(d.resolve("main.cf"), ""
                + "# Postern demo: the seed's server-side lines, paths and ports adapted.\n"
                + "smtpd_tls_req_ccert = yes\n"
                + "smtpd_tls_session_cache_database = sdbm:" + d.resolve("smtpd_scache") + "\n"
                + "\n"
                + "smtpd_tls_CAfile = " + d.resolve("CAcert.pem") + "\n"
                + "smtpd_tls_cert_file = " + d.resolve("server-cert.pem") + "\n"
                + "smtpd_tls_key_file = " + d.resolve("server-key.pem") + "\n"
                + "\n"
                + "# Log TLS info, in logs and headers.\n"
                + "smtpd_tls_loglevel = 2\n"
                + "smtpd_tls_received_header = yes\n"
                + "\n"
                + "# Demo environment: loopback only, loopback NOT trusted (the certificate is the permission),\n"
                + "# everything relayed to the demo's \"world\" sink.\n"
                + "myhostname = localhost\n"
                + "inet_interfaces = loopback-only\n"
                + "mynetworks = 192.0.2.0/24\n"
                + "queue_directory = " + d.resolve("queue") + "\n"
                + "data_directory = " + d.resolve("data") + "\n"
                + "maillog_file = " + d.resolve("maillog") + "\n"
                + "relayhost = [127.0.0.1]:" + worldPort + "\n"
                + "minimal_backoff_time = " + retry + "\n"
                + "queue_run_delay = " + retry + "\n");
        Files.writeString(d.resolve("master.cf"), ""
                + "# The seed's submission service, on an unprivileged loopback port.\n"
                + listen + " inet  n       -       n       -       -       smtpd\n"
                + "  -o smtpd_enforce_tls=yes\n"
                + "  -o smtpd_tls_req_ccert=yes\n"
                + "  -o smtpd_recipient_restrictions=permit_mynetworks,permit_tls_all_clientcerts,reject\n");
    }

    /**
     * The desktop MTA in {@code pki/desktop}: the seed's client-side main.cf lines and its two map
     * files; mail from my.domain.example (and its subdomains) goes over verified TLS with the client
     * certificate to the submission server, everything else to the ISP's smarthost. {@code extra}
     * lines (name = value) are appended: a way to try a change and see where mail goes.
     */
    static Path desktop(Path pki, String listen, int submissionPort, int ispPort, String retry, List<String> extra)
            throws IOException {
        Path d = Files.createDirectories(pki.resolve("desktop"));
        String hop = "[localhost]:" + submissionPort; // the seed's "[mail.example.org]:587", with the certificate's name
        Files.writeString(d.resolve("sender_dependent_relayhost"), String.join("\n",
                "# Regenerate using:",
                "#   postmap hash:sender_dependent_relayhost < sender_dependent_relayhost",
                "# (Postern reads the text file and notices changes: no postmap needed.)",
                "",
                "# sender should be submitted to",
                "@" + ROUTED_DOMAIN + "\t" + hop,
                "# ...and its subdomains",
                "." + ROUTED_DOMAIN + "\t" + hop, ""));
        Files.writeString(d.resolve("smtp_tls_policy"), String.join("\n",
                "# Regenerate using:",
                "#   postmap hash:smtp_tls_policy < smtp_tls_policy",
                hop + "\tsecure", ""));
        Files.writeString(d.resolve("main.cf"), String.join("\n",
                "# Postern demo: the seed's client-side lines (the desktop MTA), hosts and paths adapted.",
                "# Smart-host via the ISP...",
                "relayhost = [127.0.0.1]:" + ispPort,
                "",
                "# ...except for certain senders, who we relay through other boxes.",
                "sender_dependent_relayhost_maps = hash:" + d.resolve("sender_dependent_relayhost"),
                "",
                "# TLS configuration for sending mail to " + ROUTED_DOMAIN,
                "smtp_tls_CAfile = " + pki.resolve("CAcert.pem"),
                "smtp_tls_cert_file = " + pki.resolve("client-cert.pem"),
                "smtp_tls_key_file = " + pki.resolve("client-key.pem"),
                "",
                "smtp_tls_loglevel = 1",
                "",
                "smtp_tls_policy_maps = hash:" + d.resolve("smtp_tls_policy"),
                "",
                "# Demo environment: programs on this machine submit over loopback (mynetworks).",
                "myhostname = desktop.demo.example",
                "inet_interfaces = loopback-only",
                "mynetworks = 127.0.0.0/8",
                "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination",
                "queue_directory = " + d.resolve("queue"),
                "data_directory = " + d.resolve("data"),
                "maillog_file = " + d.resolve("maillog"),
                "minimal_backoff_time = " + retry,
                "queue_run_delay = " + retry,
                "") + (extra.isEmpty() ? "" : "\n# Added with --desktop-param\n" + String.join("\n", extra) + "\n"));
        Files.writeString(d.resolve("master.cf"), "# The desktop's own SMTP listener, for local programs.\n"
                + listen + "      inet  n       -       n       -       -       smtpd\n");
        return d;
    }
}
