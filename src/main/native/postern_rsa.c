/*
 * Postern's RSA private-key operations with the system's OpenSSL (3.x) libcrypto, for the TLS
 * handshakes BoringSSL (netty-tcnative) makes: BoringSSL calls dev.postern.tls.NativeRsaKey (a
 * Netty OpenSslPrivateKeyMethod), which calls these functions. Why: BoringSSL's RSA-2048 signature
 * costs ~0.9 ms per full handshake on x86-64 with AVX-512 IFMA, OpenSSL 3's ~0.3 ms
 * (BENCHMARKS.md, issue 12); everything else in the handshake stays BoringSSL's, which is faster
 * than OpenSSL 3.0 per handshake. Optional: without this library Postern signs with BoringSSL.
 *
 * Built by src/main/native/build.sh (Maven runs it) into target/native/libpostern_rsa.so.
 */
#include <jni.h>
#include <stdint.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

/* Large enough for an 8192-bit modulus; larger keys are refused (NativeRsaKey then is not used). */
#define MAX_RSA_BYTES 1024

static jbyteArray to_java(JNIEnv *env, const unsigned char *p, size_t n) {
    jbyteArray a = (*env)->NewByteArray(env, (jsize) n);
    if (a != NULL) {
        (*env)->SetByteArrayRegion(env, a, 0, (jsize) n, (const jbyte *) p);
    }
    return a;
}

JNIEXPORT jstring JNICALL Java_dev_postern_tls_NativeRsaKey_version(JNIEnv *env, jclass c) {
    return (*env)->NewStringUTF(env, OpenSSL_version(OPENSSL_VERSION));
}

/* A PKCS#8 (or PKCS#1) DER RSA private key -> an EVP_PKEY pointer, 0 when it is not one. */
JNIEXPORT jlong JNICALL Java_dev_postern_tls_NativeRsaKey_load(JNIEnv *env, jclass c, jbyteArray der) {
    jsize n = (*env)->GetArrayLength(env, der);
    jbyte *b = (*env)->GetByteArrayElements(env, der, NULL);
    if (b == NULL) {
        return 0;
    }
    const unsigned char *p = (const unsigned char *) b;
    EVP_PKEY *k = d2i_AutoPrivateKey(NULL, &p, n);
    (*env)->ReleaseByteArrayElements(env, der, b, JNI_ABORT);
    if (k != NULL && (EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA || EVP_PKEY_get_size(k) > MAX_RSA_BYTES)) {
        EVP_PKEY_free(k);
        k = NULL;
    }
    return (jlong) (intptr_t) k;
}

JNIEXPORT void JNICALL Java_dev_postern_tls_NativeRsaKey_free(JNIEnv *env, jclass c, jlong key) {
    EVP_PKEY_free((EVP_PKEY *) (intptr_t) key);
}

/*
 * Signs the message |in| (BoringSSL hands over the message, not its digest). md: 1 = SHA-1,
 * 256/384/512 = SHA-2, 0 = MD5+SHA1 (TLS 1.0/1.1); pss: RSASSA-PSS with salt = digest length
 * (TLS's rsa_pss_rsae_*), else PKCS#1 v1.5. NULL when OpenSSL fails.
 */
JNIEXPORT jbyteArray JNICALL Java_dev_postern_tls_NativeRsaKey_sign(JNIEnv *env, jclass c, jlong key, jint md,
                                                                    jboolean pss, jbyteArray in) {
    EVP_PKEY *k = (EVP_PKEY *) (intptr_t) key;
    const EVP_MD *m = md == 1 ? EVP_sha1() : md == 256 ? EVP_sha256() : md == 384 ? EVP_sha384()
                    : md == 512 ? EVP_sha512() : EVP_md5_sha1();
    jsize n = (*env)->GetArrayLength(env, in);
    jbyte *b = (*env)->GetByteArrayElements(env, in, NULL);
    if (b == NULL) {
        return NULL;
    }
    unsigned char sig[MAX_RSA_BYTES];
    size_t siglen = sizeof(sig);
    int ok = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    if (ctx != NULL && EVP_DigestSignInit(ctx, &pctx, m, NULL, k) == 1
        && (!pss || (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1
                     && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1))
        && EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *) b, (size_t) n) == 1) {
        ok = 1;
    }
    EVP_MD_CTX_free(ctx);
    (*env)->ReleaseByteArrayElements(env, in, b, JNI_ABORT);
    return ok ? to_java(env, sig, siglen) : NULL;
}

/* Raw RSA decryption (no padding) for TLS 1.2's RSA key exchange: BoringSSL checks the padding. */
JNIEXPORT jbyteArray JNICALL Java_dev_postern_tls_NativeRsaKey_decrypt(JNIEnv *env, jclass c, jlong key, jbyteArray in) {
    EVP_PKEY *k = (EVP_PKEY *) (intptr_t) key;
    jsize n = (*env)->GetArrayLength(env, in);
    jbyte *b = (*env)->GetByteArrayElements(env, in, NULL);
    if (b == NULL) {
        return NULL;
    }
    unsigned char out[MAX_RSA_BYTES];
    size_t outlen = sizeof(out);
    int ok = 0;
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new(k, NULL);
    if (pctx != NULL && EVP_PKEY_decrypt_init(pctx) == 1 && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_NO_PADDING) == 1
        && EVP_PKEY_decrypt(pctx, out, &outlen, (const unsigned char *) b, (size_t) n) == 1) {
        ok = 1;
    }
    EVP_PKEY_CTX_free(pctx);
    (*env)->ReleaseByteArrayElements(env, in, b, JNI_ABORT);
    return ok ? to_java(env, out, outlen) : NULL;
}
