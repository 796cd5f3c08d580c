package dev.postern.cli;

import dev.postern.config.ConfigException;
import dev.postern.server.Plan;
import dev.postern.server.Server;
import dev.postern.tls.Pem;
import dev.postern.util.HostPort;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code postern test}: the seed's manual {@code openssl s_client} checks in one command, against
 * Postern or Postfix: plaintext MAIL is refused, the good certificate is accepted <em>and the
 * message delivered</em> (seen in the mail log), a certificate from another CA and no certificate
 * are refused. A check passes only for the right reason: a refusal counts only when the handshake
 * completed with a verified server certificate and the server itself answered 421 4.7.1 (or 4xx/5xx
 * to MAIL/RCPT); every client-side failure is a FAIL with its reason (see {@link TlsProbe}).
 */
@Command(name = "test", description = {"Run the seed's submission checks (its openssl s_client tests) against a "
        + "running Postern or Postfix: plaintext MAIL refused, good certificate accepted and delivered (from the "
        + "mail log), certificate from another CA refused, no certificate refused (not even relaying).",
        "Works with STARTTLS (587) and implicit-TLS (465, smtpd_tls_wrappermode) services. Exit 0 only if every check passed."})
final class TestCommand implements Callable<Integer> {
    private static final long TIMEOUT_MILLIS = 15_000;

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
    @Option(names = "--ca", description = "CA that signed the server certificate (default: smtpd_tls_CAfile of -c)")
    Path ca;
    @Option(names = "--server", description = "host:port of the submission service (default: the first smtpd service of -c)")
    String server;
    @Option(names = "--server-name", description = "name the server certificate must cover (default: the --server host, "
            + "or myhostname when --server is not given)")
    String serverName;
    @Option(names = "--tls", description = "starttls or implicit (default: as the -c service says "
            + "(smtpd_tls_wrappermode), else implicit on port 465, starttls elsewhere)")
    String tls;
    @Option(names = "--log", description = "mail log proving delivery, Postern's or Postfix's (default: maillog_file of -c)")
    Path log;
    @Option(names = "--from", defaultValue = "me@my.domain.example", description = "envelope sender (default ${DEFAULT-VALUE})")
    String from;
    @Option(names = "--to", defaultValue = "someone@somewhere.else.example", description = "recipient (default ${DEFAULT-VALUE})")
    String to;
    @Option(names = "--timeout", defaultValue = "60", description = "seconds to wait for delivery (default ${DEFAULT-VALUE})")
    int timeoutSeconds;

    private final List<String> failures = new ArrayList<>();
    private int passed;
    private PrintWriter out;

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        Plan plan = null;
        if (server == null || ca == null || log == null) {
            try {
                plan = Server.plan(parent.config.directory(spec.commandLine()));
            } catch (ConfigException e) {
                spec.commandLine().getErr().println("postern: fatal: " + e.getMessage()
                        + " (or give --server, --ca and --log to test a server without its configuration)");
                return 1;
            }
        }
        InetSocketAddress target = target(plan);
        TlsProbe.Mode mode = mode(plan, target);
        String name = serverName != null ? serverName : server != null ? target.getHostString() : plan.config().get("myhostname");
        Path caFile = ca != null ? ca : Path.of(plan.config().get("smtpd_tls_CAfile"));
        Path logFile = log != null ? log : plan.config().get("maillog_file").isEmpty() ? null : Path.of(plan.config().get("maillog_file"));
        out.println("postern test: " + target.getHostString() + ":" + target.getPort() + " ("
                + mode.name().toLowerCase(java.util.Locale.ROOT) + ", server certificate checked against " + caFile
                + " for the name " + name + ")");

        if (mode == TlsProbe.Mode.STARTTLS) {
            plaintextRefused(target);
        }
        String qid = submit(target, name, sslContext(caFile, cert, key), mode);
        if (qid != null) {
            delivered(logFile, qid);
        }
        if (badCert != null) {
            refused("certificate from another CA", target, name, sslContext(caFile, badCert, badKey == null ? badCert : badKey),
                    mode, "Client certificate not trusted");
        }
        refused("no certificate", target, name, sslContext(caFile, null, null), mode, "No client certificate presented");
        out.println(passed + " passed, " + failures.size() + " failed");
        out.flush();
        return failures.isEmpty() ? 0 : 1;
    }

    private InetSocketAddress target(Plan plan) {
        if (server != null) {
            HostPort hp = HostPort.parse(server);
            return new InetSocketAddress(hp.host(), hp.portOr(587));
        }
        InetSocketAddress a = plan.listeners().get(0).addresses().get(0);
        return a.getAddress().isAnyLocalAddress() ? new InetSocketAddress("127.0.0.1", a.getPort()) : a;
    }

    private TlsProbe.Mode mode(Plan plan, InetSocketAddress target) {
        if (tls != null) {
            return switch (tls.toLowerCase(java.util.Locale.ROOT)) {
                case "starttls" -> TlsProbe.Mode.STARTTLS;
                case "implicit", "wrappermode", "smtps" -> TlsProbe.Mode.IMPLICIT;
                default -> throw new CommandLine.ParameterException(spec.commandLine(),
                        "--tls must be starttls or implicit, not \"" + tls + "\"");
            };
        }
        if (plan != null) {
            for (Plan.Listener l : plan.listeners()) {
                if (server == null || l.addresses().stream().anyMatch(a -> a.getPort() == target.getPort())) {
                    return l.settings().wrapperMode() ? TlsProbe.Mode.IMPLICIT : TlsProbe.Mode.STARTTLS;
                }
            }
        }
        return target.getPort() == 465 ? TlsProbe.Mode.IMPLICIT : TlsProbe.Mode.STARTTLS;
    }

    /** Verifies the server: chain against the CA file only, and the name (endpoint identification). */
    private static SslContext sslContext(Path caFile, Path certFile, Path keyFile) throws Exception {
        SslContextBuilder b = SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
                .trustManager(caFile.toFile()).endpointIdentificationAlgorithm("HTTPS");
        if (certFile != null) {
            X509Certificate[] chain = Pem.certificates(certFile, "--cert").toArray(X509Certificate[]::new);
            b.keyManager(new PresentingKeyManager(chain, Pem.privateKey(keyFile, "--key")));
        }
        return b.build();
    }

    private void plaintextRefused(InetSocketAddress target) {
        String step = "plaintext MAIL refused";
        try (SmtpProbe p = new SmtpProbe(target, TIMEOUT_MILLIS)) {
            String r = TlsProbe.greeting(p);
            if (!r.startsWith("220")) {
                check(false, step, "greeting -> " + r);
                return;
            }
            p.command("EHLO postern-test");
            r = p.command("MAIL FROM:<" + from + ">");
            check(r.startsWith("530 "), step, r.startsWith("250") ? r + " (the server accepts mail without TLS)" : r);
            p.command("QUIT");
        } catch (Exception e) {
            check(false, step, e.getMessage());
        }
    }

    private String submit(InetSocketAddress target, String name, SslContext ssl, TlsProbe.Mode mode) {
        String step = "good certificate accepted";
        try (TlsProbe.Opened s = TlsProbe.open(target, name, ssl, mode, TIMEOUT_MILLIS)) {
            SmtpProbe p = s.probe();
            if (s.firstReply() != null && !s.firstReply().startsWith("220")) {
                check(false, step, "greeting -> " + s.firstReply());
                return null;
            }
            for (String cmd : List.of("EHLO postern-test", "MAIL FROM:<" + from + ">", "RCPT TO:<" + to + ">", "DATA")) {
                String r = p.command(cmd);
                if (!(r.startsWith("250") || r.startsWith("354"))) {
                    check(false, step, cmd + " -> " + r);
                    return null;
                }
            }
            String r = p.command("From: <" + from + ">\r\nTo: <" + to + ">\r\nSubject: postern test\r\n\r\n"
                    + "A test message from postern test.\r\n.");
            Matcher m = Pattern.compile("^250 .*queued as ([0-9A-Za-z]+)").matcher(r);
            boolean queued = m.find();
            check(queued, step, r);
            p.command("QUIT");
            return queued ? m.group(1) : null;
        } catch (TlsProbe.ClientSide e) {
            check(false, step, e.getMessage());
            return null;
        } catch (Exception e) {
            check(false, step, e.getMessage());
            return null;
        }
    }

    private void delivered(Path logFile, String qid) throws InterruptedException {
        String step = "message " + qid + " delivered";
        if (logFile == null) {
            check(false, step, "no mail log to prove it: set maillog_file or give --log FILE");
            return;
        }
        DeliveryLog.Outcome o = DeliveryLog.await(logFile, qid, Duration.ofSeconds(timeoutSeconds));
        check(o.sent(), step, o.detail());
    }

    /**
     * Passes only on the server's own refusal under a verified TLS session: the 421 4.7.1 with the
     * expected reason (on the first reply for implicit TLS, to EHLO after STARTTLS), or a 4xx/5xx
     * to MAIL or RCPT (relay refused by the restrictions). Acceptance of the relay is a FAIL.
     */
    private void refused(String what, InetSocketAddress target, String name, SslContext ssl, TlsProbe.Mode mode,
                         String expected) {
        String step = what + " refused";
        try (TlsProbe.Opened s = TlsProbe.open(target, name, ssl, mode, TIMEOUT_MILLIS)) {
            SmtpProbe p = s.probe();
            String r = s.firstReply() != null && !s.firstReply().startsWith("220") ? s.firstReply() : p.command("EHLO postern-test");
            if (!r.startsWith("250")) {
                check(r.startsWith("421 4.7.1 ") && r.contains(expected), step,
                        r.startsWith("(connection closed)") ? "the server closed the connection without a reply" : r);
                return;
            }
            for (String cmd : List.of("MAIL FROM:<" + from + ">", "RCPT TO:<" + to + ">")) {
                r = p.command(cmd);
                int code = SmtpProbe.code(r);
                if (code >= 400 && code < 600) {
                    check(true, step, cmd + " -> " + r);
                    return;
                }
                if (code != 250) {
                    check(false, step, cmd + " -> " + r);
                    return;
                }
            }
            check(false, step, "the server accepted relaying to <" + to + "> (EHLO, MAIL and RCPT answered 250)");
            p.command("QUIT");
        } catch (Exception e) {
            check(false, step, e.getMessage());
        }
    }

    private void check(boolean ok, String what, String detail) {
        out.println((ok ? "PASS  " : "FAIL  ") + what + ": " + (detail == null ? "" : detail.replace("\n", " | ")));
        out.flush();
        if (ok) {
            passed++;
        } else {
            failures.add(what);
        }
    }
}
