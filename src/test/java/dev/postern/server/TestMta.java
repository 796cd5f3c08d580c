package dev.postern.server;

import dev.postern.testing.MailLogFile;
import dev.postern.testing.TestPki;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/**
 * A real Postern on loopback for end-to-end tests: a config dir written from the seed's server lines
 * (paths, ports and names substituted), certificates from {@link TestPki}, a next hop ({@code sink})
 * that records what it receives, and the mail log in a file.
 */
final class TestMta implements AutoCloseable {
    final Path dir;
    final TestPki pki;
    final RecordingSink sink;
    final Server server;
    final Path mailLog;
    final List<String> warnings;

    private TestMta(Path dir, TestPki pki, RecordingSink sink, Server server, Path mailLog, List<String> warnings) {
        this.dir = dir;
        this.pki = pki;
        this.sink = sink;
        this.server = server;
        this.mailLog = mailLog;
        this.warnings = warnings;
    }

    /** The seed's main.cf lines, verbatim but for paths (including its smtpd_tls_receivedheader spelling). */
    static String seedMainCf(Path dir, TestPki pki) {
        return "# From the seed write-up, paths substituted\n"
                + "smtpd_tls_req_ccert = yes\n"
                + "smtpd_tls_session_cache_database = sdbm:" + dir.resolve("smtpd_scache") + "\n"
                + "\n"
                + "smtpd_tls_CAfile = " + pki.caFile() + "\n"
                + "smtpd_tls_cert_file = " + pki.serverCertFile() + "\n"
                + "smtpd_tls_key_file = " + pki.serverKeyFile() + "\n"
                + "\n"
                + "# Log TLS info, in logs and headers.\n"
                + "smtpd_tls_loglevel = 2\n"
                + "smtpd_tls_receivedheader = yes\n";
    }

    /** The seed's master.cf entry, with its trailing backslashes, on a loopback port. */
    static String seedMasterCf(String listen) {
        return listen + "       inet  n       -       n       -       -       smtpd \\\n"
                + "-o smtpd_enforce_tls=yes \\\n"
                + "-o smtpd_tls_req_ccert=yes \\\n"
                + "-o smtpd_recipient_restrictions= \\\n"
                + "  permit_mynetworks, \\\n"
                + "  permit_tls_all_clientcerts, \\\n"
                + "  reject\n";
    }

    /**
     * Starts the seed configuration plus {@code extraMain} lines. mynetworks is set so loopback is
     * NOT trusted: the certificate must be what permits relaying.
     */
    static TestMta start(Path dir, String extraMain, String extraMaster) throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        RecordingSink sink = RecordingSink.start();
        Path mailLog = dir.resolve("maillog");
        String main = seedMainCf(dir, pki)
                + "\n# Test environment\n"
                + "myhostname = mx.postern.test\n"
                + "mynetworks = 192.0.2.0/24\n"
                + "queue_directory = " + dir.resolve("queue") + "\n"
                + "data_directory = " + dir.resolve("data") + "\n"
                + "maillog_file = " + mailLog + "\n"
                + "relayhost = [127.0.0.1]:" + sink.port() + "\n"
                + "smtp_tls_security_level = none\n"
                + "minimal_backoff_time = 1s\n"
                + "queue_run_delay = 1s\n"
                + extraMain;
        Files.writeString(dir.resolve("main.cf"), main);
        Files.writeString(dir.resolve("master.cf"), seedMasterCf("127.0.0.1:0") + extraMaster);
        Plan plan = Server.plan(dir);
        Server server = Server.start(plan, new ByteArrayOutputStream());
        return new TestMta(dir, pki, sink, server, mailLog, plan.warnings());
    }

    InetSocketAddress submission() {
        return server.addresses().get(0);
    }

    String log() throws IOException {
        return MailLogFile.read(mailLog);
    }

    /** Waits until the mail log matches {@code regex}; returns the log. */
    String awaitLog(String regex, Duration timeout) throws Exception {
        return MailLogFile.await(mailLog, regex, timeout);
    }

    /** Queue files (not temp files) anywhere in the spool. */
    long queuedFiles() throws IOException {
        Path q = dir.resolve("queue");
        long n = 0;
        for (String sub : List.of("incoming", "active", "deferred", "hold")) {
            Path d = q.resolve(sub);
            if (Files.isDirectory(d)) {
                try (Stream<Path> s = Files.list(d)) {
                    n += s.filter(f -> !f.getFileName().toString().startsWith(".")).count();
                }
            }
        }
        return n;
    }

    @Override
    public void close() throws Exception {
        server.close();
        sink.close();
    }
}
