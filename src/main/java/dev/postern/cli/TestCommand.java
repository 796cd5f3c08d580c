package dev.postern.cli;

import dev.postern.config.Config;
import dev.postern.config.ConfigException;
import dev.postern.server.Plan;
import dev.postern.server.Server;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code postern test}: the seed's manual {@code openssl s_client} checks in one command, against
 * a running Postern: plaintext MAIL is refused, the good certificate is accepted <em>and the
 * message delivered</em> (seen in the mail log), a certificate from another CA and no certificate
 * are refused.
 */
@Command(name = "test", description = "Run the seed's submission checks against the running server: "
        + "good certificate accepted and delivered, bad certificate and no certificate refused.")
final class TestCommand implements Callable<Integer> {
    @CommandLine.ParentCommand
    Main parent;
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--cert", required = true, description = "client certificate from the private CA (PEM)")
    Path cert;
    @Option(names = "--key", required = true, description = "its private key (PEM, unencrypted)")
    Path key;
    @Option(names = "--bad-cert", description = "a client certificate from another CA, expected to be refused")
    Path badCert;
    @Option(names = "--bad-key", description = "its private key")
    Path badKey;
    @Option(names = "--ca", description = "CA that signed the server certificate (default: smtpd_tls_CAfile)")
    Path ca;
    @Option(names = "--server", description = "host:port of the submission service (default: the first smtpd service)")
    String server;
    @Option(names = "--from", defaultValue = "me@my.domain.example", description = "envelope sender (default ${DEFAULT-VALUE})")
    String from;
    @Option(names = "--to", defaultValue = "someone@somewhere.else.example", description = "recipient (default ${DEFAULT-VALUE})")
    String to;
    @Option(names = "--timeout", defaultValue = "60", description = "seconds to wait for delivery (default ${DEFAULT-VALUE})")
    int timeoutSeconds;

    private final List<String> failures = new ArrayList<>();
    private int passed;

    @Override
    public Integer call() throws Exception {
        Plan plan;
        try {
            plan = Server.plan(parent.config.directory(spec.commandLine()));
        } catch (ConfigException e) {
            spec.commandLine().getErr().println("postern: fatal: " + e.getMessage());
            return 1;
        }
        Config c = plan.config();
        InetSocketAddress target = target(plan);
        Path caFile = ca != null ? ca : Path.of(c.get("smtpd_tls_CAfile"));
        PrintWriter out = spec.commandLine().getOut();
        out.println("postern test: " + target.getHostString() + ":" + target.getPort());

        plaintextRefused(target, out);
        String qid = submit(target, sslContext(caFile, cert, key), out);
        if (qid != null) {
            delivered(c, qid, out);
        }
        if (badCert != null) {
            refused("certificate from another CA", target, sslContext(caFile, badCert, badKey == null ? badCert : badKey),
                    "Client certificate not trusted", out);
        }
        refused("no certificate", target, sslContext(caFile, null, null), "No client certificate presented", out);
        out.println(passed + " passed, " + failures.size() + " failed");
        out.flush();
        return failures.isEmpty() ? 0 : 1;
    }

    private InetSocketAddress target(Plan plan) {
        if (server != null) {
            dev.postern.util.HostPort hp = dev.postern.util.HostPort.parse(server);
            return new InetSocketAddress(hp.host(), hp.portOr(587));
        }
        InetSocketAddress a = plan.listeners().get(0).addresses().get(0);
        return a.getAddress().isAnyLocalAddress() ? new InetSocketAddress("127.0.0.1", a.getPort()) : a;
    }

    /**
     * Presents the given certificate whatever CA names the server asks for, as openssl s_client
     * does in the seed's manual test: a certificate from another CA must reach the server and be
     * refused there, not be withheld by the client.
     */
    private static SslContext sslContext(Path caFile, Path certFile, Path keyFile) throws Exception {
        SslContextBuilder b = SslContextBuilder.forClient().sslProvider(io.netty.handler.ssl.SslProvider.JDK)
                .trustManager(caFile.toFile());
        if (certFile != null) {
            java.security.cert.X509Certificate[] chain = dev.postern.tls.Pem.certificates(certFile, "--cert")
                    .toArray(java.security.cert.X509Certificate[]::new);
            java.security.PrivateKey key = dev.postern.tls.Pem.privateKey(keyFile, "--key");
            b.keyManager(new AlwaysPresent(chain, key));
        }
        return b.build();
    }

    private static final class AlwaysPresent extends io.netty.handler.ssl.util.SimpleKeyManagerFactory {
        private final javax.net.ssl.X509ExtendedKeyManager manager;

        AlwaysPresent(java.security.cert.X509Certificate[] chain, java.security.PrivateKey key) {
            manager = new javax.net.ssl.X509ExtendedKeyManager() {
                public String[] getClientAliases(String t, java.security.Principal[] i) {
                    return new String[] {"client"};
                }

                public String chooseClientAlias(String[] t, java.security.Principal[] i, java.net.Socket s) {
                    return "client";
                }

                public String chooseEngineClientAlias(String[] t, java.security.Principal[] i, javax.net.ssl.SSLEngine e) {
                    return "client";
                }

                public String[] getServerAliases(String t, java.security.Principal[] i) {
                    return null;
                }

                public String chooseServerAlias(String t, java.security.Principal[] i, java.net.Socket s) {
                    return null;
                }

                public java.security.cert.X509Certificate[] getCertificateChain(String alias) {
                    return chain.clone();
                }

                public java.security.PrivateKey getPrivateKey(String alias) {
                    return key;
                }
            };
        }

        @Override
        protected void engineInit(java.security.KeyStore ks, char[] password) {
        }

        @Override
        protected void engineInit(javax.net.ssl.ManagerFactoryParameters params) {
        }

        @Override
        protected javax.net.ssl.KeyManager[] engineGetKeyManagers() {
            return new javax.net.ssl.KeyManager[] {manager};
        }
    }

    private void plaintextRefused(InetSocketAddress target, PrintWriter out) {
        try (SmtpProbe p = new SmtpProbe(target, 15_000)) {
            p.reply();
            p.command("EHLO postern-test");
            String r = p.command("MAIL FROM:<" + from + ">");
            check(r.startsWith("530 "), "plaintext MAIL refused", r, out);
            p.command("QUIT");
        } catch (Exception e) {
            check(false, "plaintext MAIL refused", e.getMessage(), out);
        }
    }

    private String submit(InetSocketAddress target, SslContext ssl, PrintWriter out) {
        String step = "good certificate accepted";
        try (SmtpProbe p = tls(target, ssl)) {
            String r = p.command("EHLO postern-test");
            if (!r.startsWith("250")) {
                check(false, step, r, out);
                return null;
            }
            for (String cmd : List.of("MAIL FROM:<" + from + ">", "RCPT TO:<" + to + ">", "DATA")) {
                r = p.command(cmd);
                if (!(r.startsWith("250") || r.startsWith("354"))) {
                    check(false, step, cmd + " -> " + r, out);
                    return null;
                }
            }
            r = p.command("From: <" + from + ">\r\nTo: <" + to + ">\r\nSubject: postern test\r\n\r\n"
                    + "A test message from postern test.\r\n.");
            Matcher m = Pattern.compile("^250 .*queued as ([0-9A-F]+)").matcher(r);
            check(m.find(), step, r, out);
            p.command("QUIT");
            return m.find(0) ? m.group(1) : null;
        } catch (Exception e) {
            check(false, step, e.getMessage(), out);
            return null;
        }
    }

    private void delivered(Config c, String qid, PrintWriter out) throws InterruptedException {
        String logFile = c.get("maillog_file");
        String step = "message " + qid + " delivered";
        if (logFile.isEmpty()) {
            check(false, step, "set maillog_file so delivery can be checked", out);
            return;
        }
        Pattern status = Pattern.compile(qid + ": (to=<[^>]*>, .*status=(\\w+) .*)");
        long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
        String last = null;
        while (System.nanoTime() < deadline) {
            try {
                for (String line : Files.readAllLines(Path.of(logFile))) {
                    Matcher m = status.matcher(line);
                    if (m.find()) {
                        last = m.group(1);
                        if (m.group(2).equals("sent")) {
                            check(true, step, last, out);
                            return;
                        }
                        if (m.group(2).equals("bounced")) {
                            check(false, step, last, out);
                            return;
                        }
                    }
                }
            } catch (java.io.IOException e) {
                last = "cannot read " + logFile + ": " + e.getMessage();
            }
            Thread.sleep(200);
        }
        check(false, step, last == null ? "no delivery attempt logged within " + timeoutSeconds + "s" : last, out);
    }

    private void refused(String what, InetSocketAddress target, SslContext ssl, String expected, PrintWriter out) {
        String step = what + " refused";
        try (SmtpProbe p = tls(target, ssl)) {
            String r = p.command("EHLO postern-test");
            check(r.startsWith("421 4.7.1 ") && r.contains(expected), step, r, out);
        } catch (HandshakeRefused e) {
            check(true, step, "TLS handshake refused: " + e.getMessage(), out);
        } catch (Exception e) {
            check(false, step, e.getMessage(), out);
        }
    }

    private static final class HandshakeRefused extends Exception {
        HandshakeRefused(String m) {
            super(m);
        }
    }

    private SmtpProbe tls(InetSocketAddress target, SslContext ssl) throws Exception {
        SmtpProbe p = new SmtpProbe(target, 15_000);
        p.reply();
        p.command("EHLO postern-test");
        String r = p.command("STARTTLS");
        if (!r.startsWith("220")) {
            p.close();
            throw new java.io.IOException("STARTTLS -> " + r);
        }
        String failure = p.startTls(ssl, target.getHostString(), target.getPort());
        if (failure != null) {
            p.close();
            throw new HandshakeRefused(failure);
        }
        return p;
    }

    private void check(boolean ok, String what, String detail, PrintWriter out) {
        out.println((ok ? "PASS  " : "FAIL  ") + what + ": " + (detail == null ? "" : detail.replace("\n", " | ")));
        out.flush();
        if (ok) {
            passed++;
        } else {
            failures.add(what);
        }
    }
}
