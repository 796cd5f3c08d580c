package dev.postern.tls;

import java.util.List;

/**
 * The handshake settings of one next hop: protocols in Postfix syntax ({@code >=TLSv1.2}), the
 * cipher grade (high, medium, low, export) and ciphers left out. The SMTP client picks them by
 * level (smtp_tls_protocols vs smtp_tls_mandatory_protocols ...) and policy attributes.
 */
public record ClientTlsOptions(String protocols, String cipherGrade, List<String> exclude) {
    public ClientTlsOptions {
        exclude = List.copyOf(exclude);
    }
}
