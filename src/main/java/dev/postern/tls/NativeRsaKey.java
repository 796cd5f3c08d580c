package dev.postern.tls;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslContextOption;
import io.netty.handler.ssl.OpenSslPrivateKeyMethod;
import io.netty.handler.ssl.OpenSslX509KeyManagerFactory;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import java.lang.ref.Cleaner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.LongAdder;

/**
 * RSA private-key operations (smtpd's server key, the smtp client's certificate key) done by the
 * system's OpenSSL 3 libcrypto (src/main/native/postern_rsa.c) while BoringSSL does the rest of
 * each handshake: BoringSSL's
 * RSA-2048 signature cost ~0.9 ms per full handshake here, OpenSSL 3's ~0.3 ms (AVX-512 IFMA), and
 * OpenSSL 3.0 as the whole TLS library costs 1.4-1.8x BoringSSL's CPU per handshake (BENCHMARKS.md,
 * issue 12). Used when the library was built (target/native/, next to the jar, or the file named by
 * {@code -Dpostern.rsa.native=FILE}; {@code =off} turns it off) and the key is RSA;
 * otherwise BoringSSL signs, as before.
 */
public final class NativeRsaKey implements OpenSslPrivateKeyMethod {
    private static final Logger LOG = LoggerFactory.getLogger(NativeRsaKey.class);
    private static final Cleaner CLEANER = Cleaner.create();
    private static final String STATUS = loadLibrary();
    private static final LongAdder SIGNATURES = new LongAdder();
    private static final LongAdder DECRYPTIONS = new LongAdder();

    private final long key;

    private NativeRsaKey(long key) {
        this.key = key;
    }

    /**
     * For an RSA key, a method that signs with OpenSSL's libcrypto; null when the key is not RSA,
     * the library is not there, or the TLS library is not BoringSSL (only BoringSSL calls it).
     */
    static NativeRsaKey of(PrivateKey k) {
        if (!available() || !"RSA".equals(k.getAlgorithm()) || !OpenSsl.versionString().startsWith("BoringSSL")) {
            return null;
        }
        byte[] der = k.getEncoded();
        long p = der == null ? 0 : load(der);
        if (p == 0) {
            return null; // not a key OpenSSL reads as RSA (or larger than 8192 bits): BoringSSL signs
        }
        NativeRsaKey n = new NativeRsaKey(p);
        CLEANER.register(n, () -> free(p)); // the SslContext holds the method as long as it lives
        return n;
    }

    /**
     * Gives {@code b} its certificate chain and key. For an RSA key under BoringSSL (the OPENSSL
     * provider) and the library loaded: the chain without the key, and this class as BoringSSL's
     * private-key method; otherwise the key and chain as they are.
     * @return whether libcrypto does the key's operations
     */
    public static boolean keyManager(SslContextBuilder b, SslProvider provider, PrivateKey key, X509Certificate... chain)
            throws java.io.IOException, java.security.GeneralSecurityException {
        NativeRsaKey rsa = provider == SslProvider.OPENSSL ? of(key) : null;
        if (rsa == null) {
            b.keyManager(key, chain);
            return false;
        }
        b.keyManager(OpenSslX509KeyManagerFactory.newKeyless(chain)).option(OpenSslContextOption.PRIVATE_KEY_METHOD, rsa);
        return true;
    }

    /** Whether the library is loaded. */
    static boolean available() {
        return STATUS.startsWith("OpenSSL");
    }

    /** "OpenSSL 3.0.x ..." when loaded, else why not (for the log and for tests). */
    public static String status() {
        return STATUS;
    }

    /** Signatures and decryptions made through this class since the start (tests). */
    static long signatures() {
        return SIGNATURES.sum();
    }

    static long decryptions() {
        return DECRYPTIONS.sum();
    }

    @Override
    public byte[] sign(SSLEngine engine, int algorithm, byte[] input) throws Exception {
        int md;
        boolean pss = false;
        // SSL_SIGN_* are read from the native library at run time: not usable in a switch
        if (algorithm == SSL_SIGN_RSA_PSS_RSAE_SHA256) {
            md = 256;
            pss = true;
        } else if (algorithm == SSL_SIGN_RSA_PSS_RSAE_SHA384) {
            md = 384;
            pss = true;
        } else if (algorithm == SSL_SIGN_RSA_PSS_RSAE_SHA512) {
            md = 512;
            pss = true;
        } else if (algorithm == SSL_SIGN_RSA_PKCS1_SHA256) {
            md = 256;
        } else if (algorithm == SSL_SIGN_RSA_PKCS1_SHA384) {
            md = 384;
        } else if (algorithm == SSL_SIGN_RSA_PKCS1_SHA512) {
            md = 512;
        } else if (algorithm == SSL_SIGN_RSA_PKCS1_SHA1) {
            md = 1;
        } else if (algorithm == SSL_SIGN_RSA_PKCS1_MD5_SHA1) {
            md = 0;
        } else {
            throw new SSLException("signature algorithm 0x" + Integer.toHexString(algorithm) + " with an RSA key");
        }
        byte[] signature = sign(key, md, pss, input);
        if (signature == null) {
            throw new SSLException("OpenSSL could not sign with the RSA key");
        }
        SIGNATURES.increment();
        return signature;
    }

    @Override
    public byte[] decrypt(SSLEngine engine, byte[] input) throws Exception {
        byte[] plain = decrypt(key, input);
        if (plain == null) {
            throw new SSLException("OpenSSL could not decrypt with the RSA key");
        }
        DECRYPTIONS.increment();
        return plain;
    }

    private static String loadLibrary() {
        String configured = System.getProperty("postern.rsa.native");
        if ("off".equals(configured)) {
            return "off (-Dpostern.rsa.native=off)";
        }
        Path file = configured != null ? Path.of(configured) : besideCode();
        if (file == null || !Files.isRegularFile(file)) {
            String why = "no " + (file == null ? "libpostern_rsa.so" : file) + " (built by src/main/native/build.sh)";
            if (configured != null) { // named by the administrator: say that it is not used
                LOG.warn("-Dpostern.rsa.native={}: {}; BoringSSL signs with RSA keys", configured, why);
            }
            return why;
        }
        try {
            System.load(file.toAbsolutePath().toString());
            String version = version();
            LOG.debug("RSA private-key operations by {} ({})", version, file);
            return version;
        } catch (Throwable t) { // UnsatisfiedLinkError: another platform, or libcrypto.so.3 missing
            LOG.warn("{}: not loaded ({}); BoringSSL signs with RSA keys", file, t.toString());
            return "not loaded: " + t;
        }
    }

    /** native/libpostern_rsa.so beside the jar (or beside target/classes when run from the build). */
    private static Path besideCode() {
        try {
            Path code = Path.of(NativeRsaKey.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path parent = code.getParent();
            return parent == null ? null : parent.resolve("native").resolve("libpostern_rsa.so");
        } catch (Exception e) { // no code source (an unusual class loader): no library beside it
            return null;
        }
    }

    private static native String version();

    private static native long load(byte[] der);

    private static native void free(long key);

    private static native byte[] sign(long key, int md, boolean pss, byte[] input);

    private static native byte[] decrypt(long key, byte[] input);
}
