package dev.postern.tls;

import dev.postern.testing.TestPki;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLSession;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TlsClient's resumption with BoringSSL (netty-tcnative) against Postern's TlsServer, both in this
 * thread: a session filed under a cache name is offered only under that name, a resumed session
 * still carries the server's whole chain, so its verdict is made as after a full handshake (and
 * fails where that would fail), and the cache name is never sent as SNI.
 */
class TlsClientResumptionTest {
    @TempDir
    Path dir;

    private record Handshake(SslHandler client, SslHandler server) {
        SSLSession session() {
            return client.engine().getSession();
        }

        boolean resumed() {
            return TlsClient.resumed(client.engine());
        }
    }

    /** Runs a handshake between the two handlers, then server data so that tickets reach the client. */
    private static Handshake connect(SslHandler client, SslHandler server) throws Exception {
        EmbeddedChannel c = new EmbeddedChannel(client);
        EmbeddedChannel s = new EmbeddedChannel(server);
        for (int i = 0; i < 20 && !(client.handshakeFuture().isDone() && server.handshakeFuture().isDone()); i++) {
            shuttle(c, s);
            shuttle(s, c);
        }
        assertTrue(client.handshakeFuture().isSuccess(), "client handshake: " + client.handshakeFuture().cause());
        assertTrue(server.handshakeFuture().isSuccess(), "server handshake: " + server.handshakeFuture().cause());
        s.writeOutbound(Unpooled.copiedBuffer("220 ok\r\n", StandardCharsets.US_ASCII)); // TLS 1.3 tickets go before it
        shuttle(s, c);
        assertNotNull(c.readInbound(), "the client read the server's data");
        return new Handshake(client, server);
    }

    private static void shuttle(EmbeddedChannel from, EmbeddedChannel to) {
        Object o;
        while ((o = from.readOutbound()) != null) {
            to.writeInbound(o);
        }
    }

    private TlsServer server(TestPki pki) throws Exception {
        return TlsServer.create(new ServerTlsSettings(pki.serverCertFile(), pki.serverKeyFile(), pki.caFile(), true,
                ">=TLSv1.2", Duration.ofSeconds(3600), true, "sha256"));
    }

    private static TlsClient client(TestPki pki, Path ca, Duration cache) throws Exception {
        return TlsClient.create(new ClientTlsSettings(ca, pki.goodClient().certFile(), pki.goodClient().keyFile(), ">=TLSv1.2",
                cache));
    }

    @Test
    void aResumedSessionIsJudgedOnTheChainItCarries() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        TlsServer server = server(pki);
        for (String protocols : List.of("TLSv1.3", "TLSv1.2")) {
            TlsClient tls = client(pki, pki.caFile(), Duration.ofSeconds(3600));
            ClientTlsOptions o = new ClientTlsOptions(protocols, "medium", List.of());
            String name = tls.sessions().lookup("smtp&[localhost]:587&localhost&127.0.0.1&587&secure&&00");
            Handshake full = connect(tls.newHandler(ByteBufAllocator.DEFAULT, o, null, name, 587), server.newHandler(ByteBufAllocator.DEFAULT));
            assertFalse(full.resumed(), protocols + ": the first handshake is a full one");
            X509Certificate leaf = (X509Certificate) full.session().getPeerCertificates()[0];
            int chainLength = full.session().getPeerCertificates().length;

            Handshake again = connect(tls.newHandler(ByteBufAllocator.DEFAULT, o, null, name, 587), server.newHandler(ByteBufAllocator.DEFAULT));
            assertTrue(again.resumed(), protocols + ": the cached session was offered and taken");
            assertTrue(TlsServer.resumed(again.server().engine()), protocols + ": the server resumed it too");
            assertEquals(protocols, again.session().getProtocol());
            assertEquals(leaf, again.session().getPeerCertificates()[0], "the resumed session carries the server's certificate");
            assertEquals(chainLength, again.session().getPeerCertificates().length, "and its chain");
            ServerCertificateCheck ok = tls.check(again.session(), List.of("localhost"), false);
            assertTrue(ok.trusted() && ok.matched(), protocols + ": " + ok.problem());
            ServerCertificateCheck other = tls.check(again.session(), List.of("mail.example.org"), false);
            assertFalse(other.matched(), "names are checked again on a resumed session");
            assertTrue(other.problem().startsWith("server certificate name mismatch"), other.problem());
            assertTrue(server.inspectPeer(again.server().engine().getSession()).trusted(),
                    "the server still knows the client certificate of a resumed session");

            // The same CA-less judge a client with another CA file would be: not trusted, resumed or not.
            TlsClient strangers = client(pki, pki.badCaFile(), Duration.ofSeconds(3600));
            ServerCertificateCheck bad = strangers.check(again.session(), List.of("localhost"), false);
            assertFalse(bad.trusted(), "the chain is verified against the CA file, also after resumption");

            String otherName = tls.sessions().lookup("smtp&[localhost]:587&localhost&127.0.0.1&587&encrypt&&00");
            assertFalse(connect(tls.newHandler(ByteBufAllocator.DEFAULT, o, null, otherName, 587),
                    server.newHandler(ByteBufAllocator.DEFAULT)).resumed(), "another name offers nothing");
            assertFalse(connect(tls.newHandler(ByteBufAllocator.DEFAULT, o, null, null, 0),
                    server.newHandler(ByteBufAllocator.DEFAULT)).resumed(), "without a name nothing is offered");
            tls.sessions().forget("smtp&[localhost]:587&localhost&127.0.0.1&587&secure&&00", name);
            String renamed = tls.sessions().lookup("smtp&[localhost]:587&localhost&127.0.0.1&587&secure&&00");
            assertFalse(connect(tls.newHandler(ByteBufAllocator.DEFAULT, o, null, renamed, 587),
                    server.newHandler(ByteBufAllocator.DEFAULT)).resumed(), "a forgotten entry's sessions are never offered");
        }
    }

    @Test
    void aServerWithNewKeysAndCertificateGetsAFullHandshake() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        TestPki other = TestPki.create(dir.resolve("other")); // another CA, another server certificate
        TlsClient tls = client(pki, pki.caFile(), Duration.ofSeconds(3600));
        ClientTlsOptions o = new ClientTlsOptions(">=TLSv1.2", "medium", List.of());
        String name = tls.sessions().lookup("smtp&[localhost]:587&localhost&127.0.0.1&587&secure&&00");
        connect(tls.newHandler(ByteBufAllocator.DEFAULT, o, null, name, 587), server(pki).newHandler(ByteBufAllocator.DEFAULT));
        Handshake h = connect(tls.newHandler(ByteBufAllocator.DEFAULT, o, null, name, 587), server(other).newHandler(ByteBufAllocator.DEFAULT));
        assertFalse(h.resumed(), "the new server cannot resume the old session");
        ServerCertificateCheck c = tls.check(h.session(), List.of("localhost"), false);
        assertFalse(c.trusted(), "the new certificate is judged: " + c.problem());
    }

    /** A clock that moves only when told. */
    private static final class Clock implements java.time.InstantSource {
        java.time.Instant now = java.time.Instant.now();

        @Override
        public java.time.Instant instant() {
            return now;
        }
    }

    @Test
    void afterTheTimeoutTheServerGetsAFullHandshake() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        TlsServer server = server(pki);
        Clock clock = new Clock();
        TlsClient tls = TlsClient.create(new ClientTlsSettings(pki.caFile(), pki.goodClient().certFile(),
                pki.goodClient().keyFile(), ">=TLSv1.2", Duration.ofSeconds(600)), clock);
        ClientTlsOptions o = new ClientTlsOptions(">=TLSv1.2", "medium", List.of());
        String id = "smtp&[localhost]:587&localhost&127.0.0.1&587&secure&&00";
        assertFalse(connect(tls.newHandler(ByteBufAllocator.DEFAULT, o, null, tls.sessions().lookup(id), 587),
                server.newHandler(ByteBufAllocator.DEFAULT)).resumed());
        clock.now = clock.now.plusSeconds(599);
        assertTrue(connect(tls.newHandler(ByteBufAllocator.DEFAULT, o, null, tls.sessions().lookup(id), 587),
                server.newHandler(ByteBufAllocator.DEFAULT)).resumed(), "within smtp_tls_session_cache_timeout");
        clock.now = clock.now.plusSeconds(1);
        assertFalse(connect(tls.newHandler(ByteBufAllocator.DEFAULT, o, null, tls.sessions().lookup(id), 587),
                server.newHandler(ByteBufAllocator.DEFAULT)).resumed(), "600 s after the full handshake: a full one again");
        assertTrue(connect(tls.newHandler(ByteBufAllocator.DEFAULT, o, null, tls.sessions().lookup(id), 587),
                server.newHandler(ByteBufAllocator.DEFAULT)).resumed(), "whose session is then cached in turn");
    }

    @Test
    void theCacheNameIsNeverSentAsServerNameIndication() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        TlsClient tls = client(pki, pki.caFile(), Duration.ofSeconds(3600));
        ClientTlsOptions o = new ClientTlsOptions(">=TLSv1.2", "medium", List.of());
        String name = tls.sessions().lookup("smtp&[mail.example.org]:587&mail.example.org&192.0.2.1&587&secure&&00");
        SslHandler none = tls.newHandler(ByteBufAllocator.DEFAULT, o, null, name, 587);
        List<?> names = none.engine().getSSLParameters().getServerNames();
        assertTrue(names == null || names.isEmpty(), "no SNI: " + names);
        SslHandler sni = tls.newHandler(ByteBufAllocator.DEFAULT, o, "mail.example.org", name, 587);
        assertEquals(List.of(new javax.net.ssl.SNIHostName("mail.example.org")), sni.engine().getSSLParameters().getServerNames());
        assertEquals(null, sni.engine().getSSLParameters().getEndpointIdentificationAlgorithm(), "no hostname check of Netty's");
        none.engine().closeOutbound();
        sni.engine().closeOutbound();
    }

    @Test
    void withoutACacheThereAreNoCacheNames() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        TlsClient tls = client(pki, pki.caFile(), Duration.ZERO);
        assertEquals(null, tls.sessions());
        assertThrows(IllegalArgumentException.class, () -> tls.newHandler(ByteBufAllocator.DEFAULT,
                new ClientTlsOptions(">=TLSv1.2", "medium", List.of()), null, "smtp&x&1", 25));
        assertEquals(Duration.ofSeconds(120), client(pki, pki.caFile(), Duration.ofSeconds(5)).sessions().timeout(),
                "Postfix's two minutes at least");
    }
}
