package dev.postern.cli;

import dev.postern.config.ConfigLoader;
import dev.postern.testing.Peers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code postern conf} as postconf: -x, -h, -n, -d, -e and -M, checked against the real postconf where it helps. */
class ConfCommandTest {
    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    private Run postern(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    private Run conf(String... args) {
        List<String> all = new ArrayList<>(List.of("-c", dir.toString(), "conf"));
        all.addAll(List.of(args));
        return postern(all.toArray(String[]::new));
    }

    private static final String MAIN = """
            # Postfix main.cf
            myhostname = mx.example.org

            smtpd_recipient_restrictions =
                permit_mynetworks,
            # a comment inside
                reject_unauth_destination
            relayhost = [old.example]:25
            relayhost = [older.example]:25
               # indented comment
            mydomain = example.org
            smtpd_banner = $myhostname ESMTP
            """;

    private void write(String main, String master) throws Exception {
        Files.writeString(dir.resolve("main.cf"), main);
        Files.writeString(dir.resolve("master.cf"), master);
    }

    @Test
    void valuesAsWrittenExpandedAndBare() throws Exception {
        write(MAIN, "");
        assertEquals("smtpd_banner = $myhostname ESMTP\n", conf("smtpd_banner").out());
        assertEquals("smtpd_banner = mx.example.org ESMTP\n", conf("-x", "smtpd_banner").out());
        assertEquals("mx.example.org ESMTP\n", conf("-xh", "smtpd_banner").out());
        assertEquals("$myhostname ESMTP\n", conf("-h", "smtpd_banner").out());
        assertEquals("relayhost = [older.example]:25\n", conf("relayhost").out());
        assertEquals("mydestination = $myhostname, localhost.$mydomain, localhost\n", conf("mydestination").out());
        assertEquals("mx.example.org, localhost.example.org, localhost\n", conf("-x", "-h", "mydestination").out());
        Run unknown = conf("no_such_parameter");
        assertEquals(1, unknown.code());
        assertTrue(unknown.err().contains("no_such_parameter: unknown parameter"), unknown.err());
    }

    @Test
    void explicitAndDefaultValues() throws Exception {
        write(MAIN, "");
        Run n = conf("-n");
        assertEquals(0, n.code(), n.err());
        assertEquals("""
                mydomain = example.org
                myhostname = mx.example.org
                relayhost = [older.example]:25
                smtpd_banner = $myhostname ESMTP
                smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
                """, n.out());
        assertEquals("mx.example.org ESMTP\n", conf("-nxh", "smtpd_banner").out());
        assertEquals("maximal_queue_lifetime = 5d\n", conf("-d", "maximal_queue_lifetime").out());
        assertEquals("${{$compatibility_level} < {3.6} ? {md5} : {sha256}}\n", conf("-dh", "smtpd_tls_fingerprint_digest").out());
        assertEquals("md5\n", conf("-dxh", "smtpd_tls_fingerprint_digest").out());
        Run noDirectory = postern("-c", dir.resolve("nonexistent").toString(), "conf", "-d", "smtpd_timeout");
        assertEquals(0, noDirectory.code(), "like postconf -d, defaults need no configuration: " + noDirectory.err());
        assertEquals("smtpd_timeout = ${stress?{10}:{300}}s\n", noDirectory.out()); // postconf -d prints it so too
    }

    /** As postconf: the values of a configuration that check refuses can still be seen. */
    @Test
    void showsAConfigurationThatCheckRefuses() throws Exception {
        write("smtpd_recipient_restrictions = permit\nsmtpd_timeout = soon\nmyhostname = $mydomain\nmydomain = $myhostname\n",
                "587 inet n - n - - smtpd\n");
        assertEquals(1, postern("-c", dir.toString(), "check").code());
        Run n = conf("-n", "smtpd_timeout", "smtpd_recipient_restrictions");
        assertEquals(0, n.code(), n.err());
        assertEquals("smtpd_recipient_restrictions = permit\nsmtpd_timeout = soon\n", n.out());
        Run cycle = conf("-x", "myhostname");
        assertEquals(1, cycle.code());
        assertTrue(cycle.err().startsWith("postern conf: fatal: parameter myhostname refers to itself"), cycle.err());
    }

    /** postconf -n prints the same lines for a main.cf of Postfix parameters. */
    @Test
    void explicitValuesMatchPostconf() throws Exception {
        Peers.require("/usr/sbin/postconf", "postfix");
        write(MAIN, "");
        Peers.Result pf = Peers.run(Duration.ofSeconds(30), null, List.of("/usr/sbin/postconf", "-c", dir.toString(), "-n"));
        assertEquals(0, pf.exit(), pf.err());
        // postconf -c counts config_directory as set (it exports MAIL_CONFIG); postern -c does not.
        String expected = pf.out().lines().filter(l -> !l.startsWith("config_directory = ")).map(l -> l + "\n")
                .reduce("", String::concat);
        assertEquals(expected, conf("-n").out());
    }

    @Test
    void editReplacesAppendsAndKeepsEverythingElse() throws Exception {
        write(MAIN, "");
        Files.setPosixFilePermissions(dir.resolve("main.cf"), PosixFilePermissions.fromString("rw-r-----"));
        Run e = conf("-e", "relayhost = [smtp.example]:587", "smtpd_recipient_restrictions=reject_unauth_destination",
                "queue_run_delay=10m", "smtpd_timeout = 60s");
        assertEquals(0, e.code(), e.err());
        assertTrue(e.err().contains("multiple entries for \"relayhost\""), e.err());
        assertEquals("""
                # Postfix main.cf
                myhostname = mx.example.org

                smtpd_recipient_restrictions = reject_unauth_destination
                # a comment inside
                relayhost = [smtp.example]:587
                relayhost = [smtp.example]:587
                   # indented comment
                mydomain = example.org
                smtpd_banner = $myhostname ESMTP
                queue_run_delay = 10m
                smtpd_timeout = 60s
                """, Files.readString(dir.resolve("main.cf")));
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("main.cf"))));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(".main.cf.lock", "main.cf", "master.cf"), files.map(p -> p.getFileName().toString()).sorted()
                    .toList(), "no temp file left behind");
        }
        assertEquals("[smtp.example]:587", ConfigLoader.load(dir).config().get("relayhost"));
    }

    /** The same edit by postconf -e and postern conf -e gives the same file, byte for byte. */
    @Test
    void editMatchesPostconf() throws Exception {
        Peers.require("/usr/sbin/postconf", "postfix");
        Path pf = Files.createDirectories(dir.resolve("postfix"));
        String main = MAIN;
        Files.writeString(pf.resolve("main.cf"), main);
        Files.writeString(pf.resolve("master.cf"), "");
        write(main, "");
        // One appended name: Postfix 3.7 appends in hash order, newer ones (and postern) sorted by name.
        List<String> edits = List.of("relayhost = [smtp.example]:587", "smtpd_recipient_restrictions=reject",
                "zzz_param = two words", "mydomain =");
        List<String> cmd = new ArrayList<>(List.of("/usr/sbin/postconf", "-c", pf.toString(), "-e"));
        cmd.addAll(edits);
        Peers.Result r = Peers.run(Duration.ofSeconds(30), null, cmd);
        assertEquals(0, r.exit(), r.err());
        List<String> args = new ArrayList<>(List.of("-e"));
        args.addAll(edits);
        Run e = conf(args.toArray(String[]::new));
        assertEquals(0, e.code(), e.err());
        assertTrue(e.err().contains("unknown parameter \"zzz_param\""), e.err());
        assertEquals(Files.readString(pf.resolve("main.cf")), Files.readString(dir.resolve("main.cf")));
    }

    /** Concurrent edits are serialized: none is lost to a read-modify-write race. */
    @Test
    void concurrentEditsAreAllKept() throws Exception {
        write("# start\n", "");
        int n = 16;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<Run>> runs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String name = "param_" + i;
                runs.add(pool.submit(() -> conf("-e", name + "=" + name.length())));
            }
            for (java.util.concurrent.Future<Run> r : runs) {
                assertEquals(0, r.get().code(), r.get().err());
            }
        } finally {
            pool.shutdownNow();
        }
        String main = Files.readString(dir.resolve("main.cf"));
        for (int i = 0; i < n; i++) {
            assertTrue(main.contains("param_" + i + " = "), "param_" + i + " lost:\n" + main);
        }
    }

    /** Where postconf -e glues an appended line to a last line without newline, postern ends that line first. */
    @Test
    void editEndsAnUnterminatedLastLine() throws Exception {
        write("relayhost = [a.example]", "");
        assertEquals(0, conf("-e", "queue_run_delay=1m").code());
        assertEquals("relayhost = [a.example]\nqueue_run_delay = 1m\n", Files.readString(dir.resolve("main.cf")));
        assertEquals(0, conf("-e", "relayhost=").code());
        assertEquals("relayhost = \nqueue_run_delay = 1m\n", Files.readString(dir.resolve("main.cf")));
    }

    @Test
    void editRefusesABadValueAndLeavesTheFileAlone() throws Exception {
        write(MAIN, "");
        Run e = conf("-e", "relayhost=[a.example]", "maximal_queue_lifetime=200");
        assertEquals(1, e.code());
        assertEquals("postern conf: fatal: bad value for maximal_queue_lifetime: \"200\" is more than 100d; use a time of at most"
                + " 100d (a bare number is in days); main.cf is unchanged\n", e.err());
        assertEquals(MAIN, Files.readString(dir.resolve("main.cf")));
        Run bad = conf("-e", "no equals sign");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("bad assignment \"no equals sign\"; write name=value on one line"), bad.err());
    }

    @Test
    void editWarnsAboutParametersWithoutEffect() throws Exception {
        write("", "");
        Run e = conf("-e", "smtpd_tls_CApath=/etc/ssl/certs");
        assertEquals(0, e.code(), e.err());
        assertEquals("postern conf: warning: parameter \"smtpd_tls_CApath\" is not implemented; it has no effect\n", e.err());
        assertEquals("smtpd_tls_CApath = /etc/ssl/certs\n", Files.readString(dir.resolve("main.cf")));
    }

    private static final String MASTER = """
            # comment
            smtp      inet  n       -       y       -       -       smtpd
            submission inet n       -       y       -       -       smtpd
              -o syslog_name=postfix/submission
              -o smtpd_tls_security_level=encrypt
              -o { smtpd_recipient_restrictions = permit_mynetworks, reject }
            127.0.0.1:2525 inet n - n - - smtpd -osmtpd_tls_req_ccert=yes
            qmgr      unix  n       -       n       300     1       qmgr
            maildrop  unix  -       n       n       -       -       pipe
              flags=DRXhu user=vmail argv=/usr/bin/maildrop -d ${recipient}
            """;

    @Test
    void masterServicesAsPostconfPrintsThem() throws Exception {
        write("", MASTER);
        Run m = conf("-M");
        assertEquals(0, m.code(), m.err());
        assertEquals("""
                smtp       inet  n       -       y       -       -       smtpd
                submission inet  n       -       y       -       -       smtpd -o syslog_name=postfix/submission \
                -o smtpd_tls_security_level=encrypt -o {smtpd_recipient_restrictions=permit_mynetworks, reject}
                127.0.0.1:2525 inet n    -       n       -       -       smtpd -o smtpd_tls_req_ccert=yes
                qmgr       unix  n       -       n       300     1       qmgr
                maildrop   unix  -       n       n       -       -       pipe flags=DRXhu user=vmail argv=/usr/bin/maildrop -d ${recipient}
                """, m.out());
        assertEquals("qmgr       unix  n       -       n       300     1       qmgr\n", conf("-M", "qmgr/unix").out());
        assertTrue(conf("-M", "submission").out().startsWith("submission inet"));
        Run none = conf("-M", "nosuch");
        assertEquals(1, none.code());
        assertTrue(none.err().contains("nosuch: no such master.cf service"), none.err());
    }

    @Test
    void masterServicesMatchPostconf() throws Exception {
        Peers.require("/usr/sbin/postconf", "postfix");
        write("", MASTER);
        Peers.Result pf = Peers.run(Duration.ofSeconds(30), null, List.of("/usr/sbin/postconf", "-c", dir.toString(), "-M"));
        assertEquals(0, pf.exit(), pf.err());
        assertEquals(pf.out(), conf("-M").out());
    }
}
