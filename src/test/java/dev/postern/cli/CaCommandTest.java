package dev.postern.cli;

import dev.postern.testing.Peers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code postern ca} end to end, judged by OpenSSL and keytool. */
class CaCommandTest {
    @TempDir
    Path dir;

    private String ca(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] all = new String[args.length + 1];
        all[0] = "ca";
        System.arraycopy(args, 0, all, 1, args.length);
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), all);
        assertEquals(0, code, String.join(" ", args) + ": " + out + err);
        return out.toString();
    }

    private static Peers.Result openssl(String... args) throws Exception {
        Peers.require("openssl", "openssl");
        List<String> cmd = new java.util.ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        return Peers.run(Duration.ofSeconds(60), null, cmd);
    }

    @Test
    void rsaCaIssuesRevokesListsAndPublishesACrlOpensslAccepts() throws Exception {
        Path d = dir.resolve("ca");
        ca("init", "--dir", d.toString(), "--cn", "TinyCA2 style", "--key", "rsa2048");
        ca("server", "--dir", d.toString(), "--cn", "mail.example.com", "--dns", "mail.example.com", "--ip", "127.0.0.1",
                "--ip", "::1", "--out-cert", dir.resolve("server.pem").toString(), "--out-key", dir.resolve("server-key.pem").toString());
        ca("client", "--dir", d.toString(), "--cn", "desktop", "--email", "me@example.org", "--key", "ec",
                "--out-cert", dir.resolve("client.pem").toString(), "--out-key", dir.resolve("client-key.pem").toString());
        String caPem = d.resolve("ca-cert.pem").toString();

        Peers.Result text = openssl("x509", "-in", caPem, "-noout", "-text");
        assertTrue(text.out().contains("Public-Key: (2048 bit)") && text.out().contains("rsaEncryption"), text.out());
        Peers.Result sans = openssl("x509", "-in", dir.resolve("server.pem").toString(), "-noout", "-ext", "subjectAltName");
        assertTrue(sans.out().contains("DNS:mail.example.com, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"), sans.out());
        // (-purpose alone: OpenSSL 3.0 misreports purposes when -ext is given in the same call)
        Peers.Result server = openssl("x509", "-in", dir.resolve("server.pem").toString(), "-noout", "-purpose");
        assertTrue(server.out().contains("SSL server : Yes") && server.out().contains("SSL client : No"), server.out());
        Peers.Result client = openssl("x509", "-in", dir.resolve("client.pem").toString(), "-noout", "-text", "-purpose");
        assertTrue(client.out().contains("email:me@example.org") && client.out().contains("SSL client : Yes")
                && client.out().contains("id-ecPublicKey"), client.out());
        assertEquals(0, openssl("verify", "-CAfile", caPem, "-purpose", "sslclient", dir.resolve("client.pem").toString()).exit());

        String list = ca("list", "--dir", d.toString());
        Matcher m = Pattern.compile("(?m)^([0-9A-F]+)  valid  \\S+  /CN=desktop  ((?:[0-9A-F]{2}:){31}[0-9A-F]{2}) desktop$").matcher(list);
        assertTrue(m.find(), list);
        String serial = m.group(1);
        Peers.Result fp = openssl("x509", "-in", dir.resolve("client.pem").toString(), "-noout", "-fingerprint", "-sha256");
        assertTrue(fp.out().contains("=" + m.group(2)), "list shows the fingerprint Postfix's relay_clientcerts wants: " + fp.out());

        ca("revoke", "--dir", d.toString(), "--serial", serial, "--reason", "keyCompromise");
        assertTrue(ca("list", "--dir", d.toString()).contains(serial + "  revoked  "));
        ca("crl", "--dir", d.toString(), "--out", dir.resolve("crl.pem").toString(), "--days", "7");
        Peers.Result crl = openssl("crl", "-in", dir.resolve("crl.pem").toString(), "-CAfile", caPem, "-noout", "-text");
        assertTrue(crl.err().contains("verify OK") || crl.out().contains("verify OK"), crl.out() + crl.err());
        assertTrue(crl.out().contains("Serial Number: " + serial) && crl.out().contains("Key Compromise"), crl.out());
        Files.writeString(dir.resolve("bundle.pem"), Files.readString(Path.of(caPem)) + Files.readString(dir.resolve("crl.pem")));
        Peers.Result revoked = openssl("verify", "-crl_check", "-CAfile", dir.resolve("bundle.pem").toString(), dir.resolve("client.pem").toString());
        assertFalse(revoked.exit() == 0, revoked.out());
        assertTrue((revoked.out() + revoked.err()).contains("certificate revoked"), revoked.out() + revoked.err());
        Peers.Result stillGood = openssl("verify", "-crl_check", "-CAfile", dir.resolve("bundle.pem").toString(), dir.resolve("server.pem").toString());
        assertEquals(0, stillGood.exit(), stillGood.out() + stillGood.err());

        // The index is OpenSSL's: openssl ca reads it and makes a CRL from it too.
        Files.writeString(dir.resolve("openssl.cnf"), "[ca]\ndefault_ca = d\n[d]\ndatabase = " + d.resolve("index.txt")
                + "\ncrlnumber = " + d.resolve("crlnumber") + "\ndefault_md = sha256\ndefault_crl_days = 5\n");
        Peers.Result gencrl = openssl("ca", "-gencrl", "-config", dir.resolve("openssl.cnf").toString(), "-keyfile",
                d.resolve("ca-key.pem").toString(), "-cert", caPem, "-out", dir.resolve("openssl-crl.pem").toString());
        assertEquals(0, gencrl.exit(), gencrl.out() + gencrl.err());
        assertTrue(openssl("crl", "-in", dir.resolve("openssl-crl.pem").toString(), "-noout", "-text").out().contains(serial));
    }

    @Test
    void serialsAreNeverReusedAndRevokeRefusesStrangers() throws Exception {
        Path d = dir.resolve("ca");
        ca("init", "--dir", d.toString(), "--cn", "CA");
        for (int i = 0; i < 5; i++) {
            ca("client", "--dir", d.toString(), "--cn", "c" + i, "--out-cert", dir.resolve("c" + i + ".pem").toString(),
                    "--out-key", dir.resolve("k" + i + ".pem").toString());
        }
        List<String> serials = Files.readAllLines(d.resolve("index.txt")).stream().map(l -> l.split("\t")[3]).toList();
        assertEquals(5, serials.stream().distinct().count(), serials.toString());
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "ca", "revoke", "--dir", d.toString(),
                "--serial", "ABCDEF");
        assertEquals(1, code);
        assertTrue(err.toString().contains("serial ABCDEF was not issued by the CA"), err.toString());
        code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "ca", "revoke", "--dir", d.toString(),
                "--serial", serials.get(0), "--reason", "bored");
        assertEquals(2, code, err.toString());
        assertTrue(err.toString().contains("unknown revocation reason \"bored\""), err.toString());
    }

    @Test
    void pkcs12OpensWithOpensslAndKeytool() throws Exception {
        Path d = dir.resolve("ca");
        ca("init", "--dir", d.toString(), "--cn", "CA", "--key", "rsa3072");
        Path pw = dir.resolve("p12.pass");
        Files.writeString(pw, "s3cret word\n");
        ca("client", "--dir", d.toString(), "--cn", "thunderbird", "--out-cert", dir.resolve("c.pem").toString(),
                "--out-key", dir.resolve("k.pem").toString(), "--p12", dir.resolve("c.p12").toString(), "--p12-password-file", pw.toString());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("c.p12"))));
        Peers.Result o = openssl("pkcs12", "-in", dir.resolve("c.p12").toString(), "-passin", "file:" + pw, "-nodes", "-info");
        assertEquals(0, o.exit(), o.err());
        assertTrue(o.out().contains("subject=CN = thunderbird") && o.out().contains("PRIVATE KEY") && o.out().contains("subject=CN = CA"),
                o.out());
        Peers.require("keytool", "openjdk-17-jdk-headless");
        Peers.Result k = Peers.run(Duration.ofSeconds(60), null, List.of("keytool", "-list", "-v", "-storetype", "PKCS12",
                "-keystore", dir.resolve("c.p12").toString(), "-storepass:file", pw.toString()));
        assertEquals(0, k.exit(), k.out() + k.err());
        assertTrue(k.out().contains("Alias name: thunderbird") && k.out().contains("PrivateKeyEntry")
                && k.out().contains("Certificate chain length: 2"), k.out());
        // Without a password file and without a terminal: a clear error, never a password argument.
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "ca", "client", "--dir", d.toString(),
                "--cn", "x", "--out-cert", dir.resolve("x.pem").toString(), "--out-key", dir.resolve("xk.pem").toString(),
                "--p12", dir.resolve("x.p12").toString());
        assertEquals(1, code);
        assertTrue(err.toString().contains("--p12-password-file"), err.toString());
        // ... and nothing was issued: no certificate files, no line in the index that could relay.
        assertFalse(Files.exists(dir.resolve("x.pem")) || Files.exists(dir.resolve("xk.pem")));
        assertTrue(Files.readAllLines(d.resolve("index.txt")).stream().noneMatch(l -> l.contains("CN=x")),
                Files.readString(d.resolve("index.txt")));
        // A password file that does not exist: the same, with its name.
        err = new StringWriter();
        code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "ca", "client", "--dir", d.toString(),
                "--cn", "y", "--out-cert", dir.resolve("y.pem").toString(), "--out-key", dir.resolve("yk.pem").toString(),
                "--p12", dir.resolve("y.p12").toString(), "--p12-password-file", dir.resolve("missing").toString());
        assertEquals(1, code);
        assertTrue(err.toString().contains(dir.resolve("missing") + ": no such file"), err.toString());
        assertFalse(Files.exists(dir.resolve("y.pem")));
        assertTrue(Files.readAllLines(d.resolve("index.txt")).stream().noneMatch(l -> l.contains("CN=y")),
                Files.readString(d.resolve("index.txt")));
    }

    @Test
    void aValidityOfNoDaysIsRefusedBeforeAnythingIsWritten() throws Exception {
        Path d = dir.resolve("ca");
        StringWriter err = new StringWriter();
        assertEquals(2, Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "ca", "init", "--dir",
                d.toString(), "--cn", "CA", "--days", "0"));
        assertTrue(err.toString().contains("--days 0: give 1 or more"), err.toString());
        assertFalse(Files.exists(d.resolve("ca-cert.pem")));
        ca("init", "--dir", d.toString(), "--cn", "CA");
        err = new StringWriter();
        assertEquals(2, Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "ca", "server", "--dir",
                d.toString(), "--cn", "mx.example", "--out-cert", dir.resolve("s.pem").toString(), "--out-key",
                dir.resolve("sk.pem").toString(), "--days", "-5"));
        assertTrue(err.toString().contains("--days -5: give 1 or more"), err.toString());
        assertFalse(Files.exists(dir.resolve("s.pem")));
        err = new StringWriter();
        assertEquals(2, Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "ca", "crl", "--dir",
                d.toString(), "--out", dir.resolve("crl.pem").toString(), "--days", "-1"));
        assertTrue(err.toString().contains("--days -1: give 1 or more"), err.toString());
        assertFalse(Files.exists(dir.resolve("crl.pem")));
        // A CRL expired at once is a testing tool (the server must then fail closed): written, with a warning.
        err = new StringWriter();
        assertEquals(0, Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "ca", "crl", "--dir",
                d.toString(), "--out", dir.resolve("crl.pem").toString(), "--days", "0"));
        assertTrue(err.toString().contains("warning: --days 0: the CRL expires now"), err.toString());
        assertTrue(Files.exists(dir.resolve("crl.pem")));
    }
}
