package dev.postern.smtpd;

import dev.postern.cleanup.Cleanup;
import dev.postern.dns.ClientNames;
import dev.postern.log.MailLog;
import dev.postern.tls.TlsServer;

/**
 * What every session of one listener shares. {@code tls} is null when TLS is off; {@code ehlo}:
 * the EHLO replies and discarded keywords per client (smtpd_discard_ehlo_keywords).
 */
record SessionServices(SmtpdSettings settings, Restrictions restrictions, TlsServer tls, Cleanup cleanup,
                       MailLog log, Anvil anvil, NetworkList limitExceptions, NetworkList bareNewlineExclusions,
                       ClientNames clientNames, EhloOffers ehlo) {

    /** smtpd_client_event_limit_exceptions (default $mynetworks): not counted, not limited. */
    boolean limitExempt(java.net.InetAddress client) {
        try {
            return limitExceptions.contains(client);
        } catch (dev.postern.maps.LookupException e) {
            return false; // a table that cannot be read exempts nobody
        }
    }

    /** smtpd_forbid_bare_newline_exclusions (default $mynetworks): "reject" and "note" do not apply to them. */
    boolean bareNewlineExcluded(java.net.InetAddress client) {
        try {
            return bareNewlineExclusions.contains(client);
        } catch (dev.postern.maps.LookupException e) {
            return false; // a table that cannot be read excludes nobody: the stricter setting applies
        }
    }
}
