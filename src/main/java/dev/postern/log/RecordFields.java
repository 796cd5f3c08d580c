package dev.postern.log;

import dev.postern.mail.QueueId;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fields for JSON records logged as free text by other packages ({@link MailLog#info}): the
 * queue ID that leads Postfix's per-message lines, and the TLS facts of "TLS connection
 * established" lines. Records with a shape of their own (connect, reject, delivery ...) get their
 * fields where they are made, from the values, not by parsing.
 */
final class RecordFields {
    private static final Pattern LEADING_ID = Pattern.compile("^([0-9A-F]{6,20}): ");
    /** smtpd: "Trusted TLS connection established from host[addr]: TLSv1.3 with cipher ..."; smtp: "... to relay: ...". */
    private static final Pattern TLS = Pattern.compile("^(\\w+) TLS connection established (from|to) (\\S+): (.*)$");

    private RecordFields() {
    }

    static Map<String, Object> ofText(String text) {
        Map<String, Object> m = new LinkedHashMap<>();
        Matcher tls = TLS.matcher(text);
        if (tls.matches()) {
            m.put("event", "tls");
            m.put(tls.group(2).equals("from") ? "client" : "relay", tls.group(3));
            m.put("tls_trust", tls.group(1));
            m.put("tls", tls.group(4));
            return m;
        }
        Matcher id = LEADING_ID.matcher(text);
        if (id.find() && QueueId.isValid(id.group(1))) {
            m.put("queue_id", id.group(1));
        }
        return m;
    }
}
