package dev.postern.qmgr;

import dev.postern.log.MailLog;
import dev.postern.mail.DeliveryAgent;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A delivery transport as qmgr drives it: its name (what routes say), the agent, and how its
 * delivery records are logged. Postfix's delivery agents log their own records under
 * {@code syslog_name/program}; here qmgr logs them, so it is told the tag: the built-in transports
 * keep Postern's {@code postern/smtp}, {@code postern/relay}; a master.cf transport of the user's
 * own, or the smtp or relay line with an {@code -o syslog_name}, logs as the SMTP client it runs,
 * {@code <its syslog_name>/smtp} (Postfix's {@code postfix/isp/smtp} for
 * {@code -o syslog_name=postfix/isp}, {@code postfix/relay/smtp} for Debian's relay line).
 *
 * @param log     the mail log, or a view of it with the transport's syslog_name
 * @param program the service part of the log tag
 */
public record Transport(String name, DeliveryAgent agent, MailLog log, String program) {
    /** Agents by transport name, each logging under its own name in {@code log} (Postern's built-in transports). */
    public static List<Transport> named(Map<String, DeliveryAgent> agents, MailLog log) {
        List<Transport> out = new ArrayList<>();
        agents.forEach((name, agent) -> out.add(new Transport(name, agent, log, name)));
        return out;
    }
}
