package dev.postern.smtpd;

import dev.postern.tls.PeerCertificate;

import java.net.InetAddress;

/**
 * What restrictions can look at, at the moment of a check. {@code recipient} is null before RCPT;
 * {@code sender} is "" for the null sender and null before MAIL; {@code saslUsername} is null
 * unless the client authenticated (AUTH EXTERNAL).
 */
record CheckContext(InetAddress clientAddress, String clientName, String helo, boolean tls,
                    PeerCertificate peer, String sender, String recipient, String saslUsername) {

    /** A client that did not authenticate. */
    CheckContext(InetAddress clientAddress, String clientName, String helo, boolean tls, PeerCertificate peer,
                 String sender, String recipient) {
        this(clientAddress, clientName, helo, tls, peer, sender, recipient, null);
    }
}
