package dev.postern.smtpd;

import dev.postern.mail.Reply;

import java.util.ArrayList;
import java.util.List;

/**
 * The EHLO replies of one service for one discard list, built once (per configuration, or per
 * table value of smtpd_discard_ehlo_keyword_address_maps) instead of at every EHLO. A session
 * picks one of four with two booleans: whether STARTTLS may be offered now (before TLS, on a
 * service with TLS) and whether AUTH may (inside TLS with a trusted certificate, see
 * {@link ExternalAuth}); the discard list has the last word on both.
 *
 * <p>The keywords in Postfix's order (smtpd.c ehlo_cmd()): PIPELINING, SIZE, STARTTLS, AUTH,
 * ENHANCEDSTATUSCODES, 8BITMIME, DSN, SMTPUTF8. Postern does not offer VRFY, ETRN or CHUNKING.
 */
final class EhloOffer {
    final EhloDiscard discard;
    /** "discarding EHLO keywords: ..." or null (nothing discarded, or silent-discard). */
    final String logLine;
    private final Reply[] replies = new Reply[4];

    EhloOffer(SmtpdSettings settings, EhloDiscard discard) {
        this.discard = discard;
        this.logLine = discard.logLine();
        for (int i = 0; i < replies.length; i++) {
            replies[i] = build(settings, (i & 1) != 0, (i & 2) != 0);
        }
    }

    /** The reply to EHLO; {@code startTls}/{@code auth}: whether the session could offer them now. */
    Reply reply(boolean startTls, boolean auth) {
        return replies[(startTls ? 1 : 0) | (auth ? 2 : 0)];
    }

    private Reply build(SmtpdSettings settings, boolean startTls, boolean auth) {
        List<String> lines = new ArrayList<>(10);
        lines.add(settings.myhostname());
        add(lines, EhloKeyword.PIPELINING, "PIPELINING");
        // As Postfix, a hidden SIZE (or 8BITMIME) is still honoured in MAIL FROM: hiding is about what
        // the client is told, not about refusing what it sends anyway.
        // message_size_limit = 0 is no limit: Postfix then says a bare "SIZE" (RFC 1870: no fixed maximum).
        add(lines, EhloKeyword.SIZE, settings.messageSizeLimit() > 0 ? "SIZE " + settings.messageSizeLimit() : "SIZE");
        if (startTls) {
            add(lines, EhloKeyword.STARTTLS, "STARTTLS");
        }
        if (auth) {
            add(lines, EhloKeyword.AUTH, "AUTH " + ExternalAuth.MECHANISM);
        }
        add(lines, EhloKeyword.ENHANCEDSTATUSCODES, "ENHANCEDSTATUSCODES");
        add(lines, EhloKeyword.EIGHTBITMIME, "8BITMIME");
        add(lines, EhloKeyword.DSN, "DSN");
        if (settings.smtputf8()) {
            add(lines, EhloKeyword.SMTPUTF8, "SMTPUTF8");
        }
        return new Reply(250, "", lines);
    }

    private void add(List<String> lines, EhloKeyword keyword, String line) {
        if (!discard.discards(keyword)) {
            lines.add(line);
        }
    }

    boolean discards(EhloKeyword keyword) {
        return discard.discards(keyword);
    }
}
