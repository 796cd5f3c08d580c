package dev.postern.smtp;

import dev.postern.ca.IssuedCertificate;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A scripted next hop (MockWebServer style) on plain JDK sockets: configurable STARTTLS and
 * PIPELINING offers and replies, AUTH PLAIN and LOGIN, injected bytes, per-recipient replies, connections dropped after
 * some messages; records commands, a transcript of both sides, the raw DATA bytes as they crossed
 * the wire, and the client certificate presented. Like Postfix's smtpd, replies are held while
 * more pipelined input is already waiting, so the transcript shows what the client sent before
 * it got any reply.
 */
final class ScriptedSmtpServer implements AutoCloseable {
    /** The first reply; a 4xx or 5xx greeting makes the client try the next MX. */
    String greeting = "220 scripted.test ESMTP";
    boolean offerStartTls = true;
    boolean offerPipelining = true;
    /** Announce DSN (RFC 3461) in the EHLO reply. */
    boolean offerDsn;
    /** Announce SIZE (RFC 1870) in the EHLO reply. */
    boolean offerSize;
    String startTlsReply = "220 2.0.0 Ready to start TLS";
    /** After the 220 to STARTTLS, answer the handshake with plaintext garbage and hang up. */
    volatile boolean breakTlsHandshake;
    /** The reply to MAIL FROM. */
    volatile String mailReply = "250 2.1.0 Ok";
    String injectAfterStartTls = "";
    /** The DATA reply when no recipient was accepted: Postfix's, or "354 ..." as some servers do. */
    String dataWithoutRecipients = "554 5.5.1 Error: no valid recipients";
    /** After this many messages on one connection, the connection is dropped (0: never). */
    int messagesPerConnection;
    /** How: true closes right after the last message's reply; false waits for the next MAIL. */
    boolean closeWhenIdle;
    /** Sent to that next MAIL before closing; null closes without a word. */
    String mailReplyBeforeClose;
    IssuedCertificate certificate;
    /** The AUTH line's mechanisms, e.g. "PLAIN LOGIN" (null: no AUTH offered); after STARTTLS only when authAfterTlsOnly. */
    String authMechanisms;
    boolean authAfterTlsOnly;
    /** When set, the reply to every AUTH command (e.g. a 454); otherwise accounts decide 235 or 535. */
    String authReply;
    /** Username to password, checked for PLAIN and LOGIN. */
    final Map<String, String> accounts = new ConcurrentHashMap<>();
    /** Who authenticated on the latest connection, or null. */
    volatile String authenticatedAs;
    final Map<String, String> rcptReplies = new ConcurrentHashMap<>();
    final List<String> commands = new CopyOnWriteArrayList<>();
    /** "C: command" and "S: reply" in the order they crossed the wire. */
    final List<String> transcript = new CopyOnWriteArrayList<>();
    final List<byte[]> rawData = new CopyOnWriteArrayList<>();
    final java.util.concurrent.atomic.AtomicInteger connections = new java.util.concurrent.atomic.AtomicInteger();
    volatile X509Certificate clientCertificate;
    /** The Server Name Indication names the client sent in its latest handshake (JSSE's record of them). */
    volatile List<String> requestedServerNames; // null until a handshake was made
    /**
     * A hostile next hop: when set, the EHLO reply is {@code endlessEhloStart} followed by this text
     * repeated until the client hangs up ("250-x\r\n" for an endless multi-line reply, "x" for an
     * endless line); {@link #endlessWritten} counts what was sent.
     */
    volatile String endlessEhlo;
    volatile String endlessEhloStart = "";
    final java.util.concurrent.atomic.AtomicLong endlessWritten = new java.util.concurrent.atomic.AtomicLong();
    final java.util.concurrent.CountDownLatch endlessStopped = new java.util.concurrent.CountDownLatch(1);

    private final ServerSocket socket;

    ScriptedSmtpServer() throws IOException {
        this(InetAddress.getLoopbackAddress(), 0);
    }

    /** On one loopback address (127.0.0.2 ... stand for distinct MX hosts) and port (0: any). */
    ScriptedSmtpServer(InetAddress address, int port) throws IOException {
        socket = new ServerSocket(port, 50, address);
        Thread t = new Thread(() -> {
            while (!socket.isClosed()) {
                try (Socket s = socket.accept()) {
                    serve(s);
                } catch (Exception ignored) {
                    // next connection
                }
            }
        }, "scripted-smtp");
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return socket.getLocalPort();
    }

    /** The server side of one connection: replies are held while the client's next command is already here. */
    private final class Wire {
        final InputStream in;
        final OutputStream out;
        final StringBuilder held = new StringBuilder();

        Wire(Socket s) throws IOException {
            in = s.getInputStream();
            out = s.getOutputStream();
        }

        void reply(String text) throws IOException {
            held.append(text.endsWith("\r\n") ? text : text + "\r\n");
            if (in.available() == 0) {
                for (String line : held.toString().split("\r\n")) {
                    transcript.add("S: " + line);
                }
                out.write(held.toString().getBytes(StandardCharsets.US_ASCII));
                out.flush();
                held.setLength(0);
            }
        }
    }

    private void serve(Socket plain) throws Exception {
        connections.incrementAndGet();
        authenticatedAs = null;
        Socket s = plain;
        Wire w = new Wire(s);
        w.reply(greeting);
        boolean tls = false;
        int messages = 0;
        int accepted = 0;
        boolean inMail = false;
        while (true) {
            String line = readLine(w.in);
            if (line == null) {
                return;
            }
            commands.add(line);
            transcript.add("C: " + line);
            String u = line.toUpperCase();
            if (u.startsWith("EHLO") && endlessEhlo != null) {
                endless(w.out);
                return;
            } else if (u.startsWith("EHLO")) {
                w.reply("250-scripted.test\r\n" + (offerPipelining ? "250-PIPELINING\r\n" : "")
                        + (offerStartTls && !tls ? "250-STARTTLS\r\n" : "")
                        + (authMechanisms != null && (tls || !authAfterTlsOnly) ? "250-AUTH " + authMechanisms + "\r\n" : "")
                        + (offerDsn ? "250-DSN\r\n" : "") + (offerSize ? "250-SIZE 10240000\r\n" : "") + "250 8BITMIME");
            } else if (u.startsWith("AUTH")) {
                auth(w, line);
            } else if (u.equals("STARTTLS")) {
                w.reply(startTlsReply + "\r\n" + injectAfterStartTls);
                if (!startTlsReply.startsWith("220")) {
                    continue;
                }
                if (breakTlsHandshake) {
                    w.in.read(new byte[5]); // the ClientHello's first bytes: the client is in the handshake now
                    w.out.write("this is not TLS\r\n".getBytes(StandardCharsets.US_ASCII));
                    w.out.flush();
                    return;
                }
                SSLSocket ssl = (SSLSocket) context().getSocketFactory().createSocket(s, null, s.getPort(), false);
                ssl.setUseClientMode(false);
                ssl.setWantClientAuth(true);
                ssl.startHandshake();
                requestedServerNames = ((javax.net.ssl.ExtendedSSLSession) ssl.getSession()).getRequestedServerNames().stream()
                        .map(n -> n instanceof javax.net.ssl.SNIHostName h ? h.getAsciiName() : n.toString()).toList();
                try {
                    clientCertificate = (X509Certificate) ssl.getSession().getPeerCertificates()[0];
                } catch (Exception e) {
                    clientCertificate = null;
                }
                s = ssl;
                w = new Wire(ssl);
                tls = true;
            } else if (u.startsWith("MAIL")) {
                if (messagesPerConnection > 0 && messages >= messagesPerConnection) {
                    if (mailReplyBeforeClose != null) {
                        w.reply(mailReplyBeforeClose);
                    }
                    return;
                }
                accepted = 0;
                inMail = mailReply.startsWith("2");
                w.reply(mailReply);
            } else if (u.startsWith("RCPT")) {
                String rcpt = line.substring(line.indexOf('<') + 1, line.indexOf('>'));
                String reply = !inMail ? "503 5.5.1 Error: need MAIL command" : rcptReplies.getOrDefault(rcpt, "250 2.1.5 Ok");
                accepted += reply.startsWith("2") ? 1 : 0;
                w.reply(reply);
            } else if (u.equals("DATA")) {
                String go = accepted > 0 ? "354 go ahead" : dataWithoutRecipients;
                inMail = false;
                w.reply(go);
                if (!go.startsWith("354")) {
                    continue;
                }
                rawData.add(readData(w.in));
                w.reply(accepted > 0 ? "250 2.0.0 Ok: queued as SCRIPTED" + rawData.size() : "554 5.5.1 Error: no valid recipients");
                if (++messages == messagesPerConnection && closeWhenIdle) {
                    return;
                }
            } else if (u.equals("RSET")) {
                inMail = false;
                accepted = 0;
                w.reply("250 2.0.0 Ok");
            } else if (u.equals("QUIT")) {
                w.reply("221 2.0.0 Bye");
                return;
            } else {
                w.reply("250 Ok");
            }
        }
    }

    /** RFC 4954 AUTH PLAIN (initial response or not) and LOGIN against {@link #accounts}. */
    private void auth(Wire w, String line) throws IOException {
        if (authReply != null) {
            w.reply(authReply);
            return;
        }
        String[] words = line.split(" ");
        String mechanism = words.length > 1 ? words[1].toUpperCase() : "";
        String user;
        String password;
        if (mechanism.equals("PLAIN")) {
            String response = words.length > 2 ? words[2] : challenge(w, "334 ");
            String[] parts = decode(response).split("\0", -1);
            if (parts.length != 3) {
                w.reply("501 5.5.2 Cannot decode response");
                return;
            }
            user = parts[1];
            password = parts[2];
        } else if (mechanism.equals("LOGIN")) {
            user = decode(challenge(w, "334 VXNlcm5hbWU6"));
            password = decode(challenge(w, "334 UGFzc3dvcmQ6"));
        } else {
            w.reply("535 5.7.8 Error: authentication failed: Invalid authentication mechanism");
            return;
        }
        if (password.equals(accounts.get(user))) {
            authenticatedAs = user;
            w.reply("235 2.7.0 Authentication successful");
        } else {
            w.reply("535 5.7.8 Error: authentication failed: authentication failure");
        }
    }

    private String challenge(Wire w, String prompt) throws IOException {
        w.reply(prompt);
        String response = readLine(w.in);
        if (response == null) {
            throw new IOException("client left during AUTH");
        }
        transcript.add("C: " + response);
        return response;
    }

    private static String decode(String b64) {
        return new String(java.util.Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
    }

    /** Up to and including the terminating dot, which may also be the very first line. */
    private static byte[] readData(InputStream in) throws IOException {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        data.write('\r');
        data.write('\n');
        byte[] end = "\r\n.\r\n".getBytes(StandardCharsets.US_ASCII);
        int b;
        while ((b = in.read()) >= 0) {
            data.write(b);
            byte[] d = data.toByteArray();
            if (d.length >= 5 && java.util.Arrays.equals(d, d.length - 5, d.length, end, 0, 5)) {
                break;
            }
        }
        byte[] d = data.toByteArray();
        return java.util.Arrays.copyOfRange(d, 2, d.length);
    }

    private SSLContext context() throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("server", certificate.privateKey(), new char[0],
                new X509Certificate[] {certificate.certificate(), certificate.issuer()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), new javax.net.ssl.TrustManager[] {new AcceptAnyClient()}, null);
        return ctx;
    }

    private static final class AcceptAnyClient implements javax.net.ssl.X509TrustManager {
        public void checkClientTrusted(X509Certificate[] c, String a) { }
        public void checkServerTrusted(X509Certificate[] c, String a) { }
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                String s = b.toString(StandardCharsets.UTF_8);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            b.write(c);
        }
        return null;
    }

    List<String> commands() {
        return new ArrayList<>(commands);
    }

    private void endless(OutputStream out) {
        byte[] unit = endlessEhlo.repeat(Math.max(1, 8192 / endlessEhlo.length())).getBytes(StandardCharsets.US_ASCII);
        try {
            out.write(endlessEhloStart.getBytes(StandardCharsets.US_ASCII));
            while (true) { // until the client closes the connection (or this server is closed)
                out.write(unit);
                endlessWritten.addAndGet(unit.length);
            }
        } catch (IOException e) {
            endlessStopped.countDown();
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
