package dev.postern.smtpd;

import dev.postern.tls.PeerCertificate;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The Received: header smtpd prepends, in Postfix's layout (smtpd.c), including the TLS lines of
 * smtpd_tls_received_header=yes. "for <rcpt>" only with exactly one recipient.
 */
final class ReceivedHeader {
    static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z '('z')'", Locale.ROOT);

    private ReceivedHeader() {}

    static String build(String helo, String clientName, String clientAddr, String tlsSummary, boolean tlsDetails,
                        PeerCertificate peer, boolean askedForCert, String myhostname, String mailName,
                        String protocol, String queueId, String singleRecipient, ZonedDateTime now) {
        StringBuilder sb = new StringBuilder();
        sb.append("Received: from ").append(clean(helo == null ? clientName : helo))
                .append(" (").append(clientName).append(" [").append(clientAddr).append("])\r\n");
        if (tlsSummary != null && tlsDetails) {
            sb.append("\t(using ").append(tlsSummary).append(")\r\n");
            if (peer.presented()) {
                sb.append("\t(Client CN \"").append(clean(peer.subjectCn())).append("\", Issuer \"")
                        .append(clean(peer.issuerCn())).append("\" (")
                        .append(peer.trusted() ? "verified OK" : "not verified")
                        .append("))\r\n");
            } else {
                sb.append(askedForCert ? "\t(Client did not present a certificate)\r\n"
                        : "\t(No client certificate requested)\r\n");
            }
        }
        sb.append("\tby ").append(myhostname).append(" (").append(mailName).append(") with ").append(protocol)
                .append(" id ").append(queueId);
        if (singleRecipient != null) {
            sb.append("\r\n\tfor <").append(singleRecipient).append(">");
        }
        sb.append("; ").append(now.format(DATE)).append("\r\n");
        return sb.toString();
    }

    /** Keeps header comments well-formed: no parentheses, quotes, backslashes or controls from the peer. */
    private static String clean(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            sb.append(c < 0x20 || c == 0x7f || c == '(' || c == ')' || c == '"' || c == '\\' ? '?' : c);
        }
        return sb.toString();
    }
}
