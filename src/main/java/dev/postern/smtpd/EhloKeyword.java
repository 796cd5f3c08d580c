package dev.postern.smtpd;

/**
 * The names smtpd_discard_ehlo_keywords understands: Postfix's ehlo_mask.c table, in its order
 * (str_ehlo_mask() lists discarded keywords in this order, so the log line does too).
 * {@link #offered} says whether Postern ever sends the keyword: discarding one it never sends
 * (VRFY, ETRN, VERP, XCLIENT, XFORWARD, CHUNKING, REQUIRETLS) changes nothing, as discarding a
 * keyword Postfix would not send anyway changes nothing there.
 */
public enum EhloKeyword {
    EIGHTBITMIME("8BITMIME", true),
    AUTH("AUTH", true),
    ETRN("ETRN", false),
    PIPELINING("PIPELINING", true),
    SIZE("SIZE", true),
    VERP("VERP", false),
    VRFY("VRFY", false),
    XCLIENT("XCLIENT", false),
    XFORWARD("XFORWARD", false),
    STARTTLS("STARTTLS", true),
    ENHANCEDSTATUSCODES("ENHANCEDSTATUSCODES", true),
    DSN("DSN", true),
    SMTPUTF8("SMTPUTF8", true),
    CHUNKING("CHUNKING", false),
    REQUIRETLS("REQUIRETLS", false),
    /** Not a keyword: ehlo_mask.c's "in-band signaling" that the discarding is not to be logged. */
    SILENT_DISCARD("SILENT-DISCARD", false);

    /** The name as Postfix spells it (EHLO_VERB_*); matched without regard to case. */
    final String word;
    final boolean offered;

    EhloKeyword(String word, boolean offered) {
        this.word = word;
        this.offered = offered;
    }

    private static final EhloKeyword[] ALL = values();

    /** The keyword named {@code word} in any case, or null (ehlo_mask.c ignores such a name). */
    static EhloKeyword named(String word) {
        for (EhloKeyword k : ALL) {
            if (k.word.equalsIgnoreCase(word)) {
                return k;
            }
        }
        return null;
    }

    /** The names, lower case, as a configuration would list them (for messages). */
    static String known() {
        StringBuilder b = new StringBuilder();
        for (EhloKeyword k : ALL) {
            b.append(b.length() == 0 ? "" : ", ").append(k.word.toLowerCase(java.util.Locale.ROOT));
        }
        return b.toString();
    }
}
