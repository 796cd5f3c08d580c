package dev.postern.tls;

import dev.postern.ca.CertificateAuthority;
import dev.postern.ca.IssuedCertificate;
import dev.postern.protocol.NettyTransport;
import dev.postern.testing.Peers;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server's RSA key signing (and, for TLS 1.2's RSA key exchange, decrypting) through OpenSSL 3's
 * libcrypto while BoringSSL runs the handshake: openssl s_client, which checks the server's
 * signature, completes each kind of handshake, and the operations went through NativeRsaKey. Needs
 * target/native/libpostern_rsa.so (src/main/native/build.sh, run by Maven): CI builds it (gcc,
 * libssl-dev) and fails when it is missing; elsewhere the test skips with the reason.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NativeRsaKeyTest {
    @TempDir
    static Path dir;
    EventLoopGroup group;
    Channel server;
    Path caFile;

    @BeforeAll
    void start() throws Exception {
        if (!NativeRsaKey.available()) {
            String why = "RSA signing library not loaded: " + NativeRsaKey.status();
            if ("true".equals(System.getenv("CI"))) {
                Assertions.fail(why + " (CI installs gcc and libssl-dev, and Maven builds it)");
            }
            Assumptions.abort(why);
        }
        Peers.require("openssl", "openssl");
        CertificateAuthority ca = CertificateAuthority.create("Native RSA Test CA", Duration.ofDays(1),
                CertificateAuthority.KeyType.RSA_2048);
        IssuedCertificate cert = ca.issueServer("localhost", List.of("localhost"), Duration.ofDays(1));
        cert.writePem(dir.resolve("cert.pem"), dir.resolve("key.pem"));
        caFile = dir.resolve("ca.pem");
        java.nio.file.Files.writeString(caFile, ca.certificatePem());
        TlsServer tls = TlsServer.create(new ServerTlsSettings(dir.resolve("cert.pem"), dir.resolve("key.pem"), null, false,
                ">=TLSv1.2", Duration.ofHours(1), true, "sha256"), SslProvider.OPENSSL);
        group = NettyTransport.newGroup(1, "native-rsa-test");
        server = new ServerBootstrap().group(group).channel(NettyTransport.serverChannel())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) {
            server.close().sync();
        }
        if (group != null) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "-tls1_3                                                                   | TLSv1.3 | RSA-PSS | sign",
            "-tls1_3 -sigalgs rsa_pss_rsae_sha512                                      | TLSv1.3 | RSA-PSS | sign",
            "-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256 -sigalgs RSA+SHA256           | TLSv1.2 | RSA     | sign",
            "-tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384 -sigalgs RSA+SHA512           | TLSv1.2 | RSA     | sign",
            "-tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384 -sigalgs rsa_pss_rsae_sha384  | TLSv1.2 | RSA-PSS | sign",
            "-tls1_2 -cipher AES128-GCM-SHA256                                         | TLSv1.2 |         | decrypt",
    })
    void opensslCompletesTheHandshakeWithTheKeyOperationDoneByLibcrypto(String args, String protocol, String signature,
                                                                        String operation) throws Exception {
        long signed = NativeRsaKey.signatures();
        long decrypted = NativeRsaKey.decryptions();
        List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-connect",
                "127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort(), "-CAfile", caFile.toString(),
                "-verify_return_error", "-servername", "localhost"));
        cmd.addAll(List.of(args.trim().split("\\s+")));
        Peers.Result r = Peers.run(Duration.ofSeconds(20), "", cmd);
        String out = r.out() + r.err();
        assertTrue(out.contains("Verify return code: 0 (ok)"), out);
        assertTrue(out.contains(protocol), out);
        if (signature != null) {
            assertTrue(out.contains("Peer signature type: " + signature + "\n"), out);
        }
        if (operation.equals("sign")) {
            assertEquals(signed + 1, NativeRsaKey.signatures(), "signatures by libcrypto");
            assertEquals(decrypted, NativeRsaKey.decryptions());
        } else {
            assertEquals(decrypted + 1, NativeRsaKey.decryptions(), "decryptions by libcrypto");
            assertEquals(signed, NativeRsaKey.signatures());
        }
    }

    @Test
    void anEcKeyIsLeftToBoringSsl() throws Exception {
        IssuedCertificate ec = CertificateAuthority.create("EC CA", Duration.ofDays(1)).issueServer("localhost",
                List.of("localhost"), Duration.ofDays(1));
        assertNull(NativeRsaKey.of(ec.privateKey()));
        assertTrue(NativeRsaKey.status().startsWith("OpenSSL 3"), NativeRsaKey.status());
    }
}
