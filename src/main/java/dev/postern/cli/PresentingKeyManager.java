package dev.postern.cli;

import io.netty.handler.ssl.util.SimpleKeyManagerFactory;

import javax.net.ssl.KeyManager;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import java.net.Socket;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;

/**
 * Presents one certificate whatever CA names the server asks for, as {@code openssl s_client} does
 * in the seed's manual test: a certificate from another CA must reach the server and be refused
 * there, not be withheld by the client.
 */
final class PresentingKeyManager extends SimpleKeyManagerFactory {
    private final X509ExtendedKeyManager manager;

    PresentingKeyManager(X509Certificate[] chain, PrivateKey key) {
        manager = new X509ExtendedKeyManager() {
            public String[] getClientAliases(String t, Principal[] i) {
                return new String[] {"client"};
            }

            public String chooseClientAlias(String[] t, Principal[] i, Socket s) {
                return "client";
            }

            public String chooseEngineClientAlias(String[] t, Principal[] i, SSLEngine e) {
                return "client";
            }

            public String[] getServerAliases(String t, Principal[] i) {
                return null;
            }

            public String chooseServerAlias(String t, Principal[] i, Socket s) {
                return null;
            }

            public X509Certificate[] getCertificateChain(String alias) {
                return chain.clone();
            }

            public PrivateKey getPrivateKey(String alias) {
                return key;
            }
        };
    }

    @Override
    protected void engineInit(KeyStore ks, char[] password) {
    }

    @Override
    protected void engineInit(ManagerFactoryParameters params) {
    }

    @Override
    protected KeyManager[] engineGetKeyManagers() {
        return new KeyManager[] {manager};
    }
}
