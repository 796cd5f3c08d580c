package dev.postern.tls;

import dev.postern.protocol.NettyTransport;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The cipher strength in Postfix's TLS summary (log lines, Received header): the real key size,
 * not the 256 of a SHA256 in the name, which made every TLS_AES_128_GCM_SHA256 session "256/256 bits".
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsSummaryTest {
    @TempDir
    static Path dir;
    TestPki pki;
    EventLoopGroup group;

    @BeforeAll
    void setUp() throws Exception {
        pki = TestPki.create(dir);
        group = NettyTransport.newGroup(1, "tls-summary-test");
    }

    @AfterAll
    void tearDown() {
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    }

    @ParameterizedTest
    @CsvSource({
            "TLS_AES_128_GCM_SHA256, 128, 128",
            "TLS_AES_256_GCM_SHA384, 256, 256",
            "TLS_CHACHA20_POLY1305_SHA256, 256, 256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, 128, 128",
            "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384, 256, 256",
            "ECDHE-RSA-AES128-GCM-SHA256, 128, 128",
            "ECDHE-RSA-CHACHA20-POLY1305, 256, 256",
            "TLS_RSA_WITH_3DES_EDE_CBC_SHA, 112, 168",
            "DES-CBC3-SHA, 112, 168",
            "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA, 256, 256",
            "TLS_RSA_WITH_NULL_SHA256, 0, 0",
    })
    void bitsComeFromTheBulkCipher(String suite, int effective, int algorithm) {
        assertArrayEquals(new int[] {effective, algorithm}, TlsSummary.bits(suite), suite);
    }

    @Test
    void tls12SuitesAreNamedAsOpenSslNamesThem() {
        assertEquals("TLSv1.2 with cipher ECDHE-RSA-AES128-GCM-SHA256 (128/128 bits)",
                TlsSummary.of("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"));
    }

    /** A real handshake pinned to each TLS 1.3 suite, summarised by the server as smtpd logs it. */
    @ParameterizedTest
    @CsvSource({
            "OPENSSL, TLS_AES_128_GCM_SHA256, 128/128",
            "JDK, TLS_AES_128_GCM_SHA256, 128/128",
            "OPENSSL, TLS_AES_256_GCM_SHA384, 256/256",
            "JDK, TLS_AES_256_GCM_SHA384, 256/256",
    })
    void serverSideSummaryOfARealHandshake(SslProvider provider, String suite, String bits) throws Exception {
        TlsServer tls = TlsServer.create(new ServerTlsSettings(pki.serverCertFile(), pki.serverKeyFile(), pki.caFile(), false,
                ">=TLSv1.2", Duration.ofHours(1), true, "sha256"), provider);
        CompletableFuture<String> summary = new CompletableFuture<>();
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
                                        summary.complete(TlsServer.describe(ssl.engine().getSession()));
                                    } else {
                                        summary.completeExceptionally(f.cause());
                                    }
                                });
                            }
                        });
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setCertificateEntry("ca", pki.caCertificate());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLSv1.3");
            ctx.init(null, tmf.getTrustManagers(), null);
            InetSocketAddress a = (InetSocketAddress) server.localAddress();
            try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(a.getAddress(), a.getPort())) {
                s.setEnabledProtocols(new String[] {"TLSv1.3"});
                s.setEnabledCipherSuites(new String[] {suite});
                s.startHandshake();
                assertEquals("TLSv1.3 with cipher " + suite + " (" + bits + " bits)", summary.get(10, TimeUnit.SECONDS));
            }
        } finally {
            server.close().sync();
        }
    }
}
