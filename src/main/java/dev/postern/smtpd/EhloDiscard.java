package dev.postern.smtpd;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The EHLO keywords not offered to a client: smtpd_discard_ehlo_keywords, or a value of
 * smtpd_discard_ehlo_keyword_address_maps, read as Postfix's ehlo_mask() reads it: names
 * separated by commas and/or white space, in any case. Postfix ignores a name it does not know
 * ("so people can switch between Postfix versions without trouble"); so does this class, but it
 * keeps them in {@link #unknown()} so that {@code postern check}, start and reload can name them:
 * a misspelt keyword would otherwise leave the keyword offered without a word said.
 * Immutable; a session asks {@link #discards} with one bit test.
 */
public final class EhloDiscard {
    /** Nothing discarded: the default (both parameters are empty by default in Postfix). */
    public static final EhloDiscard NONE = new EhloDiscard(0, List.of());

    private static final Pattern SEPARATORS = Pattern.compile("[\\s,]+"); // name_mask.c: CHARS_COMMA_SP

    private final int mask;
    private final List<String> unknown;

    private EhloDiscard(int mask, List<String> unknown) {
        this.mask = mask;
        this.unknown = unknown;
    }

    public static EhloDiscard parse(String list) {
        int mask = 0;
        List<String> unknown = new ArrayList<>(0);
        for (String word : SEPARATORS.split(list.strip())) {
            if (word.isEmpty()) {
                continue;
            }
            EhloKeyword k = EhloKeyword.named(word);
            if (k != null) {
                mask |= bit(k);
            } else if (!unknown.contains(word)) {
                unknown.add(word);
            }
        }
        return mask == 0 && unknown.isEmpty() ? NONE : new EhloDiscard(mask, List.copyOf(unknown));
    }

    private static int bit(EhloKeyword k) {
        return 1 << k.ordinal();
    }

    public boolean discards(EhloKeyword k) {
        return (mask & bit(k)) != 0;
    }

    /** The words that name no EHLO keyword, as written (ignored, as Postfix ignores them). */
    public List<String> unknown() {
        return unknown;
    }

    /**
     * What smtpd logs at each EHLO, or null: Postfix's ehlo_cmd() {@code msg_info("discarding EHLO
     * keywords: %s", str_ehlo_mask(discard_mask))} unless silent-discard is listed. Postfix also
     * says nothing when enhancedstatuscodes is among them (a test meant for the Milter path, where
     * every other bit is set; it cannot matter there since silent-discard is set too); Postern
     * logs that discard as any other, rather than hide a configured change of the EHLO reply.
     */
    String logLine() {
        if (mask == 0 || discards(EhloKeyword.SILENT_DISCARD)) {
            return null;
        }
        return "discarding EHLO keywords: " + names();
    }

    /** str_ehlo_mask(): the keywords discarded, as Postfix spells them, in its table's order. */
    String names() {
        StringBuilder b = new StringBuilder();
        for (EhloKeyword k : EhloKeyword.values()) {
            if (discards(k)) {
                b.append(b.length() == 0 ? "" : " ").append(k.word);
            }
        }
        return b.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EhloDiscard d && d.mask == mask && d.unknown.equals(unknown);
    }

    @Override
    public int hashCode() {
        return mask * 31 + unknown.hashCode();
    }

    @Override
    public String toString() {
        return "[" + names() + "]" + (unknown.isEmpty() ? "" : " unknown=" + unknown);
    }
}
