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
    CertificateAuthority ca;
    TlsServer tls;

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
        ca = CertificateAuthority.create("Native RSA Test CA", Duration.ofDays(1),
                CertificateAuthority.KeyType.RSA_2048);
        IssuedCertificate cert = ca.issueServer("localhost", List.of("localhost"), Duration.ofDays(1));
        cert.writePem(dir.resolve("cert.pem"), dir.resolve("key.pem"));
        caFile = dir.resolve("ca.pem");
        java.nio.file.Files.writeString(caFile, ca.certificatePem());
        tls = TlsServer.create(new ServerTlsSettings(dir.resolve("cert.pem"), dir.resolve("key.pem"), null, false,
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

    /** What the daemon's start-up line ("TLS on 127.0.0.1:587: ...") says about this listener. */
    @Test
    void theServerNamesWhoSigns() {
        assertEquals("BoringSSL; RSA key operations by " + NativeRsaKey.status(), tls.library());
    }

    @Test
    void anEcKeyIsLeftToBoringSsl() throws Exception {
        IssuedCertificate ec = CertificateAuthority.create("EC CA", Duration.ofDays(1)).issueServer("localhost",
                List.of("localhost"), Duration.ofDays(1));
        assertNull(NativeRsaKey.of(ec.privateKey()));
        assertTrue(NativeRsaKey.status().startsWith("OpenSSL 3"), NativeRsaKey.status());
        ec.writePem(dir.resolve("ec-cert.pem"), dir.resolve("ec-key.pem"));
        TlsServer ecServer = TlsServer.create(new ServerTlsSettings(dir.resolve("ec-cert.pem"), dir.resolve("ec-key.pem"),
                null, false, ">=TLSv1.2", Duration.ofHours(1), true, "sha256"), SslProvider.OPENSSL);
        assertEquals("BoringSSL", ecServer.library());
    }

    /**
     * The desktop MTA's side: its RSA client certificate (TinyCA2's default) signs CertificateVerify
     * through libcrypto too. openssl s_server demands and verifies the certificate; the line it
     * echoes proves the handshake completed on its side (in TLS 1.3 the client finishes first).
     */
    @ParameterizedTest
    @CsvSource({"TLSv1.3", "TLSv1.2"})
    void theSmtpClientSignsWithItsRsaCertificateThroughLibcrypto(String protocol) throws Exception {
        IssuedCertificate desktop = ca.issueClient("desktop.example.com", Duration.ofDays(1));
        desktop.writePem(dir.resolve("client-cert.pem"), dir.resolve("client-key.pem"));
        TlsClient client = TlsClient.create(new ClientTlsSettings(caFile, dir.resolve("client-cert.pem"),
                dir.resolve("client-key.pem"), protocol));
        Process s = new ProcessBuilder("openssl", "s_server", "-accept", "127.0.0.1:0", "-naccept", "1",
                "-cert", dir.resolve("cert.pem").toString(), "-key", dir.resolve("key.pem").toString(),
                "-CAfile", caFile.toString(), "-Verify", "1", "-verify_return_error")
                .redirectErrorStream(true).start();
        try (java.io.BufferedReader out = new java.io.BufferedReader(
                new java.io.InputStreamReader(s.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
            String line;
            int port = 0;
            while (port == 0 && (line = out.readLine()) != null) {
                if (line.startsWith("ACCEPT ")) {
                    port = Integer.parseInt(line.substring(line.lastIndexOf(':') + 1));
                }
            }
            assertTrue(port > 0, "openssl s_server did not say where it listens");
            long signed = NativeRsaKey.signatures();
            Channel ch = new io.netty.bootstrap.Bootstrap().group(group).channel(NettyTransport.clientChannel())
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel c) {
                            c.pipeline().addLast(client.newHandler(c.alloc()));
                        }
                    }).connect("127.0.0.1", port).sync().channel();
            io.netty.handler.ssl.SslHandler ssl = ch.pipeline().get(io.netty.handler.ssl.SslHandler.class);
            assertTrue(ssl.handshakeFuture().await(20, TimeUnit.SECONDS), "handshake");
            assertTrue(ssl.handshakeFuture().isSuccess(), String.valueOf(ssl.handshakeFuture().cause()));
            assertEquals(protocol, ssl.engine().getSession().getProtocol());
            ch.writeAndFlush(io.netty.buffer.Unpooled.copiedBuffer("signed by libcrypto\n",
                    java.nio.charset.StandardCharsets.US_ASCII)).sync();
            StringBuilder seen = new StringBuilder();
            while ((line = out.readLine()) != null && !line.equals("signed by libcrypto")) {
                seen.append(line).append('\n');
            }
            assertEquals("signed by libcrypto", line, "s_server never got the data:\n" + seen);
            assertEquals(signed + 1, NativeRsaKey.signatures(), "the client's signature by libcrypto");
            ch.close().sync();
        } finally {
            s.destroy();
            s.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
