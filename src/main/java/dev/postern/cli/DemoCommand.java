package dev.postern.cli;

import dev.postern.ca.CertificateAuthority;
import dev.postern.ca.IssuedCertificate;
import dev.postern.server.Plan;
import dev.postern.server.Server;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code postern demo}: the quick start. Creates (once) a config directory with a throwaway CA,
 * server and client certificates, a "bad" CA, and the seed's main.cf/master.cf lines; starts a
 * sink as the next hop and Postern in the foreground on loopback; prints how to test it.
 */
@Command(name = "demo", description = "Run the seed's submission service on loopback with a throwaway CA (the quick start).")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--dir", defaultValue = "postern-demo", description = "demo directory (default ${DEFAULT-VALUE})")
    Path dir;
    @Option(names = "--port", defaultValue = "10587", description = "submission port on 127.0.0.1 (default ${DEFAULT-VALUE})")
    int port;
    @Option(names = "--sink-port", defaultValue = "10025", description = "next-hop sink port (default ${DEFAULT-VALUE})")
    int sinkPort;
    @Option(names = "--exit-after-start", hidden = true, description = "start, print, stop (for tests)")
    boolean exitAfterStart;

    @Override
    public Integer call() throws Exception {
        Path d = dir.toAbsolutePath();
        if (RootGuard.refusal(false) != null) {
            System.err.println("postern demo: running as root: acceptable for this throwaway loopback demo only; "
                    + "postern start refuses root (see the README's Install section)");
        }
        if (!Files.exists(d.resolve("main.cf"))) {
            create(d);
            System.out.println("postern demo: created " + d + " (CA, certificates, main.cf, master.cf)");
        }
        Plan plan = Server.plan(d);
        plan.warnings().forEach(w -> System.err.println("postern: warning: " + w));
        try (SinkServer sink = new SinkServer(new InetSocketAddress("127.0.0.1", sinkPort), d.resolve("sink"));
             Server server = Server.start(plan, System.out)) {
            printHowTo(d, server.addresses().get(0).getPort());
            if (exitAfterStart) {
                return 0;
            }
            CountDownLatch done = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(done::countDown));
            done.await();
        }
        return 0;
    }

    private void create(Path d) throws Exception {
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
                + "# everything relayed to the demo sink.\n"
                + "myhostname = localhost\n"
                + "inet_interfaces = loopback-only\n"
                + "mynetworks = 192.0.2.0/24\n"
                + "queue_directory = " + d.resolve("queue") + "\n"
                + "data_directory = " + d.resolve("data") + "\n"
                + "maillog_file = " + d.resolve("maillog") + "\n"
                + "relayhost = [127.0.0.1]:" + sinkPort + "\n"
                + "minimal_backoff_time = 10s\n"
                + "queue_run_delay = 10s\n");
        Files.writeString(d.resolve("master.cf"), ""
                + "# The seed's submission service, on an unprivileged loopback port.\n"
                + "127.0.0.1:" + port + " inet  n       -       n       -       -       smtpd\n"
                + "  -o smtpd_enforce_tls=yes\n"
                + "  -o smtpd_tls_req_ccert=yes\n"
                + "  -o smtpd_recipient_restrictions=permit_mynetworks,permit_tls_all_clientcerts,reject\n");
    }

    private static void printHowTo(Path d, int port) {
        String rel = d.toString();
        System.out.println();
        System.out.println("postern demo: submission service on 127.0.0.1:" + port + " (STARTTLS + client certificate required)");
        System.out.println("  mail log: " + rel + "/maillog    next hop: postern sink, messages saved in " + rel + "/sink/");
        System.out.println();
        System.out.println("Send with the good certificate (accepted and delivered):");
        System.out.println("  swaks --server 127.0.0.1:" + port + " --tls --tls-cert " + rel + "/client-cert.pem --tls-key "
                + rel + "/client-key.pem --from me@my.domain.example --to someone@somewhere.else.example");
        System.out.println("Or by hand, like the seed (type ehlo, mail from, rcpt to, data ... in lower case):");
        System.out.println("  openssl s_client -connect 127.0.0.1:" + port + " -starttls smtp -CAfile " + rel + "/CAcert.pem -cert "
                + rel + "/client-cert.pem -key " + rel + "/client-key.pem -crlf");
        System.out.println("With the bad CA's certificate (refused with 421 4.7.1):");
        System.out.println("  swaks --server 127.0.0.1:" + port + " --tls --tls-cert " + rel + "/bad-client-cert.pem --tls-key "
                + rel + "/bad-client-key.pem --from me@my.domain.example --to someone@somewhere.else.example");
        System.out.println("All the seed's checks in one command:");
        System.out.println("  bin/postern -c " + rel + " test --cert " + rel + "/client-cert.pem --key " + rel
                + "/client-key.pem --bad-cert " + rel + "/bad-client-cert.pem --bad-key " + rel + "/bad-client-key.pem");
        System.out.println();
        System.out.println("Ctrl-C stops.");
        System.out.flush();
    }
}
