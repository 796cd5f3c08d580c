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
 * A scripted next hop (MockWebServer style) on plain JDK sockets: configurable STARTTLS offer and
 * reply, injected bytes, per-recipient replies; records commands, the raw DATA bytes as they
 * crossed the wire, and the client certificate presented.
 */
final class ScriptedSmtpServer implements AutoCloseable {
    boolean offerStartTls = true;
    String startTlsReply = "220 2.0.0 Ready to start TLS";
    String injectAfterStartTls = "";
    IssuedCertificate certificate;
    final Map<String, String> rcptReplies = new ConcurrentHashMap<>();
    final List<String> commands = new CopyOnWriteArrayList<>();
    final List<byte[]> rawData = new CopyOnWriteArrayList<>();
    volatile X509Certificate clientCertificate;

    private final ServerSocket socket;

    ScriptedSmtpServer() throws IOException {
        socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
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

    private void serve(Socket plain) throws Exception {
        Socket s = plain;
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        send(out, "220 scripted.test ESMTP");
        boolean tls = false;
        while (true) {
            String line = readLine(in);
            if (line == null) {
                return;
            }
            commands.add(line);
            String u = line.toUpperCase();
            if (u.startsWith("EHLO")) {
                send(out, "250-scripted.test\r\n250-PIPELINING\r\n" + (offerStartTls && !tls ? "250-STARTTLS\r\n" : "") + "250 8BITMIME");
            } else if (u.equals("STARTTLS")) {
                send(out, startTlsReply + "\r\n" + injectAfterStartTls);
                if (!startTlsReply.startsWith("220")) {
                    continue;
                }
                SSLSocket ssl = (SSLSocket) context().getSocketFactory().createSocket(s, null, s.getPort(), false);
                ssl.setUseClientMode(false);
                ssl.setWantClientAuth(true);
                ssl.startHandshake();
                try {
                    clientCertificate = (X509Certificate) ssl.getSession().getPeerCertificates()[0];
                } catch (Exception e) {
                    clientCertificate = null;
                }
                s = ssl;
                in = ssl.getInputStream();
                out = ssl.getOutputStream();
                tls = true;
            } else if (u.startsWith("MAIL")) {
                send(out, "250 2.1.0 Ok");
            } else if (u.startsWith("RCPT")) {
                String rcpt = line.substring(line.indexOf('<') + 1, line.indexOf('>'));
                send(out, rcptReplies.getOrDefault(rcpt, "250 2.1.5 Ok"));
            } else if (u.equals("DATA")) {
                send(out, "354 go ahead");
                ByteArrayOutputStream data = new ByteArrayOutputStream();
                byte[] end = "\r\n.\r\n".getBytes(StandardCharsets.US_ASCII);
                int b;
                while ((b = in.read()) >= 0) {
                    data.write(b);
                    byte[] d = data.toByteArray();
                    if (d.length >= 5 && java.util.Arrays.equals(d, d.length - 5, d.length, end, 0, 5)) {
                        break;
                    }
                }
                rawData.add(data.toByteArray());
                send(out, "250 2.0.0 Ok: queued as SCRIPTED" + rawData.size());
            } else if (u.equals("QUIT")) {
                send(out, "221 2.0.0 Bye");
                return;
            } else {
                send(out, "250 Ok");
            }
        }
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

    private static void send(OutputStream out, String text) throws IOException {
        out.write((text.endsWith("\r\n") ? text : text + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    List<String> commands() {
        return new ArrayList<>(commands);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
