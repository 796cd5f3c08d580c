package dev.postern.tls;

import dev.postern.testing.SmtpTestClient;
import dev.postern.testing.TestPki;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import dev.postern.protocol.NettyTransport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real handshakes on loopback, for both TLS providers: the server's verdict on each client certificate. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsServerTest {
    @TempDir
    static Path dir;
    TestPki pki;
    EventLoopGroup group;

    @BeforeAll
    void setUp() throws Exception {
        pki = TestPki.create(dir);
        group = NettyTransport.newGroup(1, "tls-test");
    }

    @AfterAll
    void tearDown() {
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    }

    enum Provider { OPENSSL, JDK }

    private PeerCertificate handshake(Provider provider, TestPki.Client client) throws Exception {
        TlsServer tls = TlsServer.create(new ServerTlsSettings(pki.serverCertFile(), pki.serverKeyFile(), pki.caFile(), true,
                ">=TLSv1.2", Duration.ofHours(1), true, "sha256"), provider == Provider.JDK ? SslProvider.JDK : SslProvider.OPENSSL);
        CompletableFuture<PeerCertificate> verdict = new CompletableFuture<>();
        Channel server = new ServerBootstrap().group(group).channel(NettyTransport.serverChannel())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        SslHandler ssl = tls.newHandler(ch.alloc());
                        ch.pipeline().addLast(ssl, new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelActive(ChannelHandlerContext ctx) {
                                ssl.handshakeFuture().addListener(f -> {
                                    if (f.isSuccess()) {
                                        verdict.complete(tls.inspectPeer(ssl.engine().getSession()));
                                    } else {
                                        verdict.completeExceptionally(f.cause());
                                    }
                                });
                            }
                        });
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        try (SmtpTestClient c = new SmtpTestClient((InetSocketAddress) server.localAddress())) {
            c.startTls(pki.caCertificate(), client == null ? null : client.certificate(), client == null ? null : client.key());
            return verdict.get(10, TimeUnit.SECONDS);
        } finally {
            server.close().sync();
        }
    }

    /** netty-tcnative's per-connection handshake buffer is TlsServer's 512 bytes, not Netty's 2048 (RSS, issue 12). */
    @org.junit.jupiter.api.Test
    void eachConnectionGetsTheSmallHandshakeBuffer() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.netty.handler.ssl.OpenSsl.isAvailable(), "no OpenSSL provider");
        TlsServer tls = TlsServer.create(new ServerTlsSettings(pki.serverCertFile(), pki.serverKeyFile(), pki.caFile(), true,
                ">=TLSv1.2", Duration.ofHours(1), true, "sha256"), SslProvider.OPENSSL);
        assertEquals(TlsServer.NON_APPLICATION_BUFFER, tls.handshakeBufferSize());
        assertEquals(0, TlsServer.create(new ServerTlsSettings(pki.serverCertFile(), pki.serverKeyFile(), pki.caFile(), true,
                ">=TLSv1.2", Duration.ofHours(1), true, "sha256"), SslProvider.JDK).handshakeBufferSize());
    }

    @ParameterizedTest
    @EnumSource(Provider.class)
    void trustedClientCertificate(Provider p) throws Exception {
        PeerCertificate v = handshake(p, pki.goodClient());
        assertEquals(PeerCertificate.Status.TRUSTED, v.status(), v.failure());
        assertEquals("desktop.example.org", v.subjectCn());
        assertEquals("Postern Test CA", v.issuerCn());
        assertTrue(v.certFingerprint().matches("([0-9A-F]{2}:){31}[0-9A-F]{2}"), v.certFingerprint());
    }

    @ParameterizedTest
    @EnumSource(Provider.class)
    void certificateFromAnotherCaCompletesTheHandshakeButIsUntrusted(Provider p) throws Exception {
        PeerCertificate v = handshake(p, pki.badCaClient());
        assertEquals(PeerCertificate.Status.UNTRUSTED, v.status());
        assertEquals("untrusted issuer /CN=Bad CA", v.failure());
    }

    @ParameterizedTest
    @EnumSource(Provider.class)
    void expiredCertificate(Provider p) throws Exception {
        PeerCertificate v = handshake(p, pki.expiredClient());
        assertEquals("certificate has expired", v.failure());
    }

    @ParameterizedTest
    @EnumSource(Provider.class)
    void serverOnlyCertificateIsNotAClientCertificate(Provider p) throws Exception {
        PeerCertificate v = handshake(p, pki.serverOnlyClient());
        assertEquals("not designated for use as a client certificate", v.failure());
    }

    @ParameterizedTest
    @EnumSource(Provider.class)
    void noCertificate(Provider p) throws Exception {
        assertEquals(PeerCertificate.Status.NONE, handshake(p, null).status());
    }

    @org.junit.jupiter.api.Test
    void keyThatDoesNotMatchItsCertificateIsRefusedNamingBothFiles() throws Exception {
        TlsSetupException e = assertThrows(TlsSetupException.class, () -> TlsServer.create(new ServerTlsSettings(
                pki.serverCertFile(), pki.goodClient().keyFile(), pki.caFile(), true, "", Duration.ofHours(1), true, "sha256")));
        assertTrue(e.getMessage().contains(pki.goodClient().keyFile().toString()) && e.getMessage().contains("does not match"),
                e.getMessage());
    }

    @org.junit.jupiter.api.Test
    void unreadableFilesNameTheParameterAndFile() throws Exception {
        Path bogus = dir.resolve("bogus.pem");
        Files.writeString(bogus, "not a certificate\n");
        TlsSetupException e = assertThrows(TlsSetupException.class, () -> TlsServer.create(new ServerTlsSettings(
                bogus, pki.serverKeyFile(), null, false, "", Duration.ofHours(1), true, "sha256")));
        assertTrue(e.getMessage().startsWith("smtpd_tls_cert_file " + bogus), e.getMessage());
    }
}
