package dev.postern.server;

import dev.postern.testing.TestPki;

import java.nio.file.Path;

/** The seed's client-side main.cf lines ("Client-side postfix configuration"), hosts and paths substituted. */
final class SeedClientSide {
    private SeedClientSide() {}

    static String mainCf(String relayhost, Path senderDependentRelayhost, TestPki pki, Path tlsPolicy) {
        return String.join("\n",
                "# Smart-host via the ISP...",
                "relayhost = " + relayhost,
                "",
                "# ...except for certain senders, who we relay through other boxes.",
                "sender_dependent_relayhost_maps = hash:" + senderDependentRelayhost,
                "",
                "# TLS configuration for sending mail to domain-a.example",
                "smtp_tls_CAfile = " + pki.caFile(),
                "smtp_tls_cert_file = " + pki.goodClient().certFile(),
                "smtp_tls_key_file = " + pki.goodClient().keyFile(),
                "",
                "smtp_tls_loglevel = 1",
                "",
                "smtp_tls_policy_maps = hash:" + tlsPolicy,
                "", "");
    }
}
