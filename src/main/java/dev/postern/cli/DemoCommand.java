package dev.postern.cli;

import dev.postern.config.ConfigException;
import dev.postern.server.Plan;
import dev.postern.server.Server;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * {@code postern demo}: the seed's whole setup on loopback. Creates (once) a directory with a
 * throwaway CA and the seed's certificates, the submission server's main.cf/master.cf (the seed's
 * server-side lines) and a desktop MTA in {@code desktop/} (its client-side lines and maps); starts
 * both with two sinks standing for "the world" (the submission server's next hop) and "the ISP" (the
 * desktop's smarthost), sends a message from each kind of sender and shows where each went.
 * {@code --self-test} does the same non-interactively on port 0 in a fresh {@code self-test/}
 * directory, runs {@code postern test} against the submission server, stops everything and exits 0
 * only if every message went where the seed says and every check passed.
 */
@Command(name = "demo", description = {"Run the seed's whole setup on loopback with a throwaway CA: the submission "
        + "server (STARTTLS, client certificate required), a desktop MTA with sender-dependent routing "
        + "(sender_dependent_relayhost_maps, smtp_tls_policy_maps secure), and two sinks for \"the world\" and "
        + "\"the ISP\"; sends a message from each kind of sender and shows where each went.",
        "--self-test: the same on port 0, then postern test; exit 0 only if everything went where the seed says."})
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Option(names = "--dir", defaultValue = "postern-demo", description = "demo directory (default ${DEFAULT-VALUE})")
    Path dir;
    @Option(names = "--port", defaultValue = "10587", description = "submission port on 127.0.0.1 (default ${DEFAULT-VALUE})")
    int port;
    @Option(names = "--sink-port", defaultValue = "10025", description = "\"the world\" sink port, the submission server's next hop (default ${DEFAULT-VALUE})")
    int sinkPort;
    @Option(names = "--isp-port", defaultValue = "10026", description = "\"the ISP\" sink port, the desktop's relayhost (default ${DEFAULT-VALUE})")
    int ispPort;
    @Option(names = "--desktop-port", defaultValue = "10027", description = "the desktop MTA's SMTP port (default ${DEFAULT-VALUE})")
    int desktopPort;
    @Option(names = "--self-test", description = "run everything on port 0 in DIR/self-test, check where each message went, "
            + "run postern test, stop; exit 0 only if all is as the seed says")
    boolean selfTest;
    @Option(names = "--desktop-param", paramLabel = "NAME=VALUE", description = "a main.cf line (name = value) added to "
            + "the desktop MTA when its directory is made (every --self-test run): try a change and see where mail goes (repeatable)")
    List<String> desktopParams = List.of();
    @Option(names = "--exit-after-start", hidden = true, description = "start, print, stop (for tests)")
    boolean exitAfterStart;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path d = dir.toAbsolutePath();
        if (RootGuard.refusal(false) != null) {
            spec.commandLine().getErr().println("postern demo: running as root: acceptable for this throwaway loopback demo only; "
                    + "postern start refuses root (see the README's Install section)");
        }
        if (selfTest) {
            return selfTest(d.resolve("self-test"), out);
        }
        if (!Files.exists(d.resolve("main.cf"))) {
            DemoFiles.pki(d);
            DemoFiles.submission(d, "127.0.0.1:" + port, sinkPort, "10s");
            out.println("postern demo: created " + d + " (CA, certificates, main.cf, master.cf)");
        }
        try (SinkServer world = new SinkServer(new InetSocketAddress("127.0.0.1", sinkPort), d.resolve("sink"));
             SinkServer isp = new SinkServer(new InetSocketAddress("127.0.0.1", ispPort), d.resolve("isp"));
             Server submission = Server.start(plan(d), System.out);
             Server desktop = Server.start(plan(desktopDir(d, submission.addresses().get(0).getPort(), out)), System.out)) {
            out.println("postern demo: submission server on 127.0.0.1:" + submission.addresses().get(0).getPort()
                    + ", desktop MTA on 127.0.0.1:" + desktop.addresses().get(0).getPort()
                    + "; sending a message from each kind of sender through the desktop MTA:");
            DemoTour.report(DemoTour.run(desktop.addresses().get(0), d.resolve("sink"), d.resolve("isp"),
                    Duration.ofSeconds(60), out), out);
            printHowTo(out, d, submission.addresses().get(0).getPort(), desktop.addresses().get(0).getPort());
            if (exitAfterStart) {
                return 0;
            }
            CountDownLatch done = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(done::countDown));
            done.await();
        }
        return 0;
    }

    /** The desktop MTA's directory, made on first use and pointed at the submission server where it listens. */
    private Path desktopDir(Path d, int submissionPort, PrintWriter out) throws IOException {
        if (!Files.exists(d.resolve("desktop/main.cf"))) {
            DemoFiles.desktop(d, "127.0.0.1:" + desktopPort, submissionPort, ispPort, "10s", desktopParams);
            out.println("postern demo: created " + d.resolve("desktop") + " (the desktop MTA: the seed's client-side lines and maps)");
        } else if (!desktopParams.isEmpty()) {
            // Written only into a new directory: the user's own edits of main.cf there are kept.
            spec.commandLine().getErr().println("postern demo: warning: " + d.resolve("desktop/main.cf") + " exists, so --desktop-param "
                    + String.join(", ", desktopParams) + " is not applied: edit that file, remove " + d.resolve("desktop")
                    + " to have it made again, or use --self-test (a fresh directory every run)");
        }
        return d.resolve("desktop");
    }

    private Plan plan(Path d) throws ConfigException {
        Plan plan = Server.plan(d);
        plan.warnings().forEach(w -> spec.commandLine().getErr().println("postern: warning: " + d + ": " + w));
        return plan;
    }

    /** Everything on port 0, in a fresh directory; 0 only if every message went where the seed says and postern test passed. */
    private int selfTest(Path st, PrintWriter out) throws Exception {
        deleteTree(st);
        DemoFiles.pki(st);
        OutputStream quiet = OutputStream.nullOutputStream(); // both servers log to their maillog_file
        boolean routed;
        int tested;
        try (SinkServer world = new SinkServer(new InetSocketAddress("127.0.0.1", 0), st.resolve("sink"));
             SinkServer isp = new SinkServer(new InetSocketAddress("127.0.0.1", 0), st.resolve("isp"))) {
            DemoFiles.submission(st, "127.0.0.1:0", world.address().getPort(), "1s");
            try (Server submission = Server.start(plan(st), quiet)) {
                int submissionPort = submission.addresses().get(0).getPort();
                Path desktopDir = DemoFiles.desktop(st, "127.0.0.1:0", submissionPort, isp.address().getPort(), "1s",
                        desktopParams);
                try (Server desktop = Server.start(plan(desktopDir), quiet)) {
                    out.println("postern demo --self-test in " + st + ": submission server on 127.0.0.1:" + submissionPort
                            + ", desktop MTA on 127.0.0.1:" + desktop.addresses().get(0).getPort()
                            + ", the world on 127.0.0.1:" + world.address().getPort()
                            + ", the ISP on 127.0.0.1:" + isp.address().getPort());
                    routed = DemoTour.report(DemoTour.run(desktop.addresses().get(0), st.resolve("sink"), st.resolve("isp"),
                            Duration.ofSeconds(60), out), out);
                    out.println("postern test against the submission server:");
                    out.flush();
                    tested = Main.run(out, spec.commandLine().getErr(), "-c", st.toString(), "test",
                            "--server", "127.0.0.1:" + submissionPort,
                            "--cert", st.resolve("client-cert.pem").toString(), "--key", st.resolve("client-key.pem").toString(),
                            "--bad-cert", st.resolve("bad-client-cert.pem").toString(),
                            "--bad-key", st.resolve("bad-client-key.pem").toString(), "--timeout", "30");
                }
            }
        }
        boolean ok = routed && tested == 0;
        out.println("postern demo --self-test: " + (ok ? "PASS" : "FAIL")
                + (routed ? "" : " (a message did not go where the seed says; see " + st.resolve("desktop/maillog") + ")")
                + (tested == 0 ? "" : " (postern test failed)"));
        out.flush();
        return ok ? 0 : 1;
    }

    /** Removes a previous self-test directory (only ever DIR/self-test, which this command made). */
    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> all = Files.walk(p)) {
            for (Path f : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(f);
            }
        }
    }

    private static void printHowTo(PrintWriter out, Path d, int port, int desktopPort) {
        String rel = d.toString();
        out.println();
        out.println("postern demo: submission service on 127.0.0.1:" + port + " (STARTTLS + client certificate required)");
        out.println("  mail log: " + rel + "/maillog    next hop (\"the world\"): postern sink, messages saved in " + rel + "/sink/");
        out.println("  desktop MTA on 127.0.0.1:" + desktopPort + ", mail log " + rel + "/desktop/maillog, smarthost (\"the ISP\") saves in "
                + rel + "/isp/");
        out.println();
        out.println("Send through the desktop MTA (mail from " + DemoFiles.ROUTED_DOMAIN + " goes to the submission server):");
        out.println("  swaks --server 127.0.0.1:" + desktopPort + " --from me@" + DemoFiles.ROUTED_DOMAIN
                + " --to someone@somewhere.else.example");
        out.println("Send with the good certificate straight to the submission server (accepted and delivered):");
        out.println("  swaks --server 127.0.0.1:" + port + " --tls --tls-cert " + rel + "/client-cert.pem --tls-key "
                + rel + "/client-key.pem --from me@my.domain.example --to someone@somewhere.else.example");
        out.println("Or by hand, like the seed (type ehlo, mail from, rcpt to, data ... in lower case):");
        out.println("  openssl s_client -connect 127.0.0.1:" + port + " -starttls smtp -CAfile " + rel + "/CAcert.pem -cert "
                + rel + "/client-cert.pem -key " + rel + "/client-key.pem -crlf");
        out.println("With the bad CA's certificate (refused with 421 4.7.1):");
        out.println("  swaks --server 127.0.0.1:" + port + " --tls --tls-cert " + rel + "/bad-client-cert.pem --tls-key "
                + rel + "/bad-client-key.pem --from me@my.domain.example --to someone@somewhere.else.example");
        out.println("All the seed's checks in one command:");
        out.println("  bin/postern -c " + rel + " test --cert " + rel + "/client-cert.pem --key " + rel
                + "/client-key.pem --bad-cert " + rel + "/bad-client-cert.pem --bad-key " + rel + "/bad-client-key.pem");
        out.println("Everything, checked, without keeping it running:  bin/postern demo --self-test");
        out.println();
        out.println("Ctrl-C stops.");
        out.flush();
    }
}
