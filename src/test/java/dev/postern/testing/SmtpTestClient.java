package dev.postern.testing;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;

/**
 * A deliberately dumb blocking SMTP client for tests: it sends exactly the bytes it is told to
 * (so tests can send malformed input) and reads whole replies. TLS uses the JDK's own stack, a
 * different implementation from the server's.
 */
public final class SmtpTestClient implements AutoCloseable {
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    public SmtpTestClient(InetSocketAddress address) throws IOException {
        this(address, null);
    }

    /** Connects from {@code source} (e.g. 127.0.0.2, to differ from a proxy's 127.0.0.1); null: any. */
    public SmtpTestClient(InetSocketAddress address, java.net.InetAddress source) throws IOException {
        socket = new Socket();
        if (source != null) {
            socket.bind(new InetSocketAddress(source, 0));
        }
        socket.connect(address, 5000);
        socket.setSoTimeout(15000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** Reads one (possibly multi-line) reply; returns all its lines joined by "\n", or null at EOF. */
    public String reply() throws IOException {
        StringBuilder all = new StringBuilder();
        while (true) {
            String line = readLine();
            if (line == null) {
                return all.length() == 0 ? null : all.toString();
            }
            if (all.length() > 0) {
                all.append('\n');
            }
            all.append(line);
            if (line.length() < 4 || line.charAt(3) != '-') {
                return all.toString();
            }
        }
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                String s = buf.toString(StandardCharsets.UTF_8);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            buf.write(b);
        }
        return buf.size() == 0 ? null : buf.toString(StandardCharsets.UTF_8);
    }

    /** The read timeout of {@link #reply()} (15 s unless set). */
    public void setSoTimeout(int millis) throws IOException {
        socket.setSoTimeout(millis);
    }

    public void sendRaw(String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** Sends one command line (CRLF added) and returns the reply. */
    public String command(String line) throws IOException {
        sendRaw(line + "\r\n");
        return reply();
    }

    /** Upgrades to TLS (after a 220 to STARTTLS, or at once for implicit TLS). */
    public void startTls(X509Certificate trustedServerCa, X509Certificate clientCert, PrivateKey clientKey,
                         X509Certificate... clientChain) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        KeyManagerFactory kmf = null;
        if (clientCert != null) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            X509Certificate[] chain = new X509Certificate[1 + clientChain.length];
            chain[0] = clientCert;
            System.arraycopy(clientChain, 0, chain, 1, clientChain.length);
            ks.setKeyEntry("client", clientKey, new char[0], chain);
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, new char[0]);
        }
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("ca", trustedServerCa);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        javax.net.ssl.KeyManager[] kms = kmf == null ? null
                : new javax.net.ssl.KeyManager[] {new AlwaysPresent((javax.net.ssl.X509KeyManager) kmf.getKeyManagers()[0])};
        ctx.init(kms, tmf.getTrustManagers(), null);
        SSLSocket ssl = (SSLSocket) ctx.getSocketFactory().createSocket(socket,
                ((InetSocketAddress) socket.getRemoteSocketAddress()).getHostString(), socket.getPort(), true);
        ssl.setUseClientMode(true);
        ssl.startHandshake();
        socket = ssl;
        in = ssl.getInputStream();
        out = ssl.getOutputStream();
    }

    /**
     * Presents the certificate whatever CA names the server asks for, as openssl s_client does, so
     * tests can show what the server does with a certificate from another CA.
     */
    private static final class AlwaysPresent extends javax.net.ssl.X509ExtendedKeyManager {
        private final javax.net.ssl.X509KeyManager delegate;

        AlwaysPresent(javax.net.ssl.X509KeyManager delegate) {
            this.delegate = delegate;
        }

        @Override
        public String[] getClientAliases(String keyType, java.security.Principal[] issuers) {
            return new String[] {"client"};
        }

        @Override
        public String chooseClientAlias(String[] keyType, java.security.Principal[] issuers, Socket socket) {
            return "client";
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, java.security.Principal[] issuers, javax.net.ssl.SSLEngine engine) {
            return "client";
        }

        @Override
        public String[] getServerAliases(String keyType, java.security.Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, java.security.Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return delegate.getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return delegate.getPrivateKey(alias);
        }
    }

    public boolean isClosedByPeer() throws IOException {
        try {
            socket.setSoTimeout(5000);
            return in.read() < 0;
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
