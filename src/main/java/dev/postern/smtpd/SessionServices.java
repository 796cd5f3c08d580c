package dev.postern.smtpd;

import dev.postern.cleanup.Cleanup;
import dev.postern.dns.ClientNames;
import dev.postern.log.MailLog;
import dev.postern.tls.TlsServer;

/** What every session of one listener shares. {@code tls} is null when TLS is off. */
record SessionServices(SmtpdSettings settings, Restrictions restrictions, TlsServer tls, Cleanup cleanup,
                       MailLog log, Anvil anvil, NetworkList limitExceptions, ClientNames clientNames) {

    /** smtpd_client_event_limit_exceptions (default $mynetworks): not counted, not limited. */
    boolean limitExempt(java.net.InetAddress client) {
        try {
            return limitExceptions.contains(client);
        } catch (dev.postern.maps.LookupException e) {
            return false; // a table that cannot be read exempts nobody
        }
    }
}
