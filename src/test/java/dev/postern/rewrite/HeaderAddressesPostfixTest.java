package dev.postern.rewrite;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden cases from real Postfix: what {@link HeaderAddresses} makes of a header must be what
 * Postfix's cleanup (canonical maps) and then its SMTP client (smtp_generic_maps) made of it.
 *
 * <p>The expected outputs were captured from Postfix 3.7.11 (Debian package) on 2026-12-03: a
 * private instance (compatibility_level 3.6, myorigin = origin.example, mydestination empty,
 * local_header_rewrite_clients = static:all, swap_bangpath = no, allow_percent_hack = no,
 * append_dot_mydomain = no, masquerade_domains empty, message_drop_headers = content-length,
 * sender_canonical_maps and recipient_canonical_maps = regexp with
 * {@code /^(.*)@old\.example$/ ${1}@new.example}, smtp_generic_maps = regexp with
 * {@code /^(.*)@generic-old\.example$/ ${1}@generic-new.example}, relayhost a Python SMTP sink on
 * loopback). Each case was sent by SMTP as one header between two marker headers; the expected
 * text is the header the sink received, lines joined with "\n". The few very long outputs are
 * held as their SHA-256 and length.
 *
 * <p>Cleanup also runs every header address through trivial-rewrite (local context) before the
 * canonical maps, and Postfix canonicalizes table results; {@link PostfixSteps} plays those parts
 * for this configuration, so the test checks this class, not a re-implementation of the others.
 */
class HeaderAddressesPostfixTest {

    static Stream<Case> cases() {
        return Stream.of(
            cleanup("From: joe@old.example",
                    "From: joe@new.example"),
            cleanup("From: Joe User <joe@old.example>",
                    "From: Joe User <joe@new.example>"),
            cleanup("From: \"Joe User\" <joe@old.example>",
                    "From: \"Joe User\" <joe@new.example>"),
            cleanup("From: joe@old.example (Joe User)",
                    "From: joe@new.example (Joe User)"),
            cleanup("To: a@old.example, b@other.example",
                    "To: a@new.example, b@other.example"),
            cleanup("To: a@other.example,  b@other.example (unchanged:  kept as is)",
                    "To: a@other.example,  b@other.example (unchanged:  kept as is)"),
            cleanup("To: a@old.example,\n b@other.example,\n\tc@old.example",
                    "To: a@new.example, b@other.example, c@new.example"),
            cleanup("Cc: \"a b\"@old.example",
                    "Cc: \"a b\"@new.example"),
            cleanup("Cc: \"a.b\"@old.example",
                    "Cc: a.b@new.example"),
            cleanup("To: undisclosed-recipients:;",
                    "To: undisclosed-recipients:;"),
            cleanup("To: group: a@old.example, b@x.example;",
                    "To: group: a@new.example, b@x.example;"),
            cleanup("To: group: a@old.example, b@x.example;, c@old.example",
                    "To: group: a@new.example, b@x.example;, c@new.example"),
            cleanup("Reply-To: <@route1.example,@route2.example:joe@old.example>",
                    "Reply-To: <joe@new.example>"),
            cleanup("From: <>",
                    "From: <>"),
            cleanup("To: <>, a@old.example",
                    "To: <>, a@new.example"),
            cleanup("To: user",
                    "To: user@origin.example"),
            cleanup("To: user, a@x.example",
                    "To: user@origin.example, a@x.example"),
            cleanup("From: Joe (comment (nested)) <joe@old.example>",
                    "From: Joe (comment (nested)) <joe@new.example>"),
            cleanup("From: <joe(comment)@old.example>",
                    "From: <joe@new.example (comment)>"),
            cleanup("From: Joe <joe@old.example",
                    "From: \"Joe <joe\"@new.example"),
            cleanup("From: \"Joe <joe@old.example>",
                    "From: \"Joe <joe@old.example>\"@origin.example"),
            cleanup("From: (unclosed comment joe@old.example",
                    "From: (unclosed comment joe@old.example"),
            cleanup("To: ",
                    "To: "),
            cleanup("To:    ",
                    "To:    "),
            cleanup("From: J\u00f6e \u00dcser <joe@old.example>",
                    "From: J\u00f6e \u00dcser <joe@new.example>"),
            cleanup("From: \"J\u00f6e\" <j\u00f6e@old.example>",
                    "From: \"J\u00f6e\" <j\u00f6e@new.example>"),
            cleanup("To: a@old.example b@old.example",
                    "To: a@new.example, b@new.example"),
            cleanup(longList(30, "person%d@old.example"),
                    "To: person0@new.example, person1@new.example, person2@new.example,\n\tperson3@new.example, person4@new.example, person5@new.example,\n\tperson6@new.example, person7@new.example, person8@new.example,\n\tperson9@new.example, person10@new.example, person11@new.example,\n\tperson12@new.example, person13@new.example, person14@new.example,\n\tperson15@new.example, person16@new.example, person17@new.example,\n\tperson18@new.example, person19@new.example, person20@new.example,\n\tperson21@new.example, person22@new.example, person23@new.example,\n\tperson24@new.example, person25@new.example, person26@new.example,\n\tperson27@new.example, person28@new.example, person29@new.example"),
            cleanup("From: Very Long Phrase Very Long Phrase Very Long Phrase Very Long Phrase Very Long Phrase Very Long Phrase Very Long Phrase Very Long Phrase Very Long Phrase Very Long Phrase Very Long Phrase Very Long Phrase Very Long Phrase Very Long Phrase Very Long Phrase Very Long Phrase <joe@old.example>",
                    "From: <joe@new.example>"),
            cleanup("Sender: joe@[192.0.2.1], ann@old.example",
                    "Sender: joe@[192.0.2.1], ann@new.example"),
            cleanup("TO: a@old.example",
                    "TO: a@new.example"),
            cleanup("To : a@old.example",
                    "To: a@new.example"),
            cleanup("Resent-To: a@old.example",
                    "Resent-To: a@new.example"),
            cleanup("Resent-From: a@old.example",
                    "Resent-From: a@new.example"),
            cleanup("Resent-Reply-To: a@old.example",
                    "Resent-Reply-To: a@new.example"),
            cleanup("Errors-To: a@old.example",
                    "Errors-To: a@new.example"),
            cleanup("Return-Receipt-To: a@old.example",
                    "Return-Receipt-To: a@new.example"),
            cleanup("Disposition-Notification-To: a@old.example",
                    "Disposition-Notification-To: a@new.example"),
            cleanup("Mail-Followup-To: a@old.example",
                    "Mail-Followup-To: a@new.example"),
            cleanup("Apparently-To: a@old.example",
                    "Apparently-To: a@new.example"),
            cleanup("From: joe@old.example.",
                    "From: joe@new.example"),
            cleanup("To: \"weird\\\"quote\"@old.example",
                    "To: \"weird\\\"quote\"@new.example"),
            cleanup("To: a\\ b@old.example",
                    "To: \"a b\"@new.example"),
            cleanup("To: joe@OLD.EXAMPLE",
                    "To: joe@new.example"),
            cleanup("From: Joe <joe@old.example> (trailing comment)",
                    "From: Joe <joe@new.example>(trailing comment)"),
            cleanup("To: a@old.example,,b@old.example",
                    "To: a@new.example, , b@new.example"),
            cleanup("To: ,a@old.example,",
                    "To: , a@new.example, "),
            cleanup("From: joe%x@old.example",
                    "From: joe%x@new.example"),
            cleanup("From: host!joe",
                    "From: host!joe@origin.example"),
            cleanup("To: Joe B. Goode <joe@old.example>",
                    "To: Joe B.Goode <joe@new.example>"),
            cleanup("To: a@old.example (comment\n continued)",
                    "To: a@new.example (comment  continued)"),
            cleanup("Cc: \"quoted\n folded\"@old.example",
                    "Cc: \"quoted  folded\"@new.example"),
            cleanup("Bcc: a@old.example",
                    "Bcc: a@new.example"),
            cleanup("Return-Path: <a@old.example>",
                    "Return-Path: <a@new.example>"),
            cleanup(longList(20, "unchanged%d@other.example") + ", last@old.example",
                    "To: unchanged0@other.example, unchanged1@other.example,\n\tunchanged2@other.example, unchanged3@other.example,\n\tunchanged4@other.example, unchanged5@other.example,\n\tunchanged6@other.example, unchanged7@other.example,\n\tunchanged8@other.example, unchanged9@other.example,\n\tunchanged10@other.example, unchanged11@other.example,\n\tunchanged12@other.example, unchanged13@other.example,\n\tunchanged14@other.example, unchanged15@other.example,\n\tunchanged16@other.example, unchanged17@other.example,\n\tunchanged18@other.example, unchanged19@other.example,\n\tlast@new.example"),
            cleanup("To: a-very-long-local-part-that-goes-on-and-on-and-on-and-on@old.example, b@old.example",
                    "To: a-very-long-local-part-that-goes-on-and-on-and-on-and-on@new.example,\n\tb@new.example"),
            cleanup("From: =?utf-8?q?J=C3=B6e?= <joe@old.example>",
                    "From: =?utf-8?q?J=C3=B6e?= <joe@new.example>"),
            cleanup("To: Joe <joe@old.example>, Ann <ann@old.example>",
                    "To: Joe <joe@new.example>, Ann <ann@new.example>"),
            cleanup(tokenLimitList(),
                    sha256("5581e0765b8e4abdc2dc699a01fb4f8f2d65bce6475894ca8ee6cd025cce5fc4", 28327)),
            cleanup("From: joe@old.example (xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)",
                    "From: <joe@new.example>"),
            cleanup("To: \"\"@old.example",
                    "To: \"\"@new.example"),
            cleanup("To: @old.example",
                    "To: \"\"@new.example"),
            cleanup("To: joe@old.example;",
                    "To: joe@new.example;"),
            cleanup("To: [1.2.3.4]",
                    "To: \"[1.2.3.4]\"@origin.example"),
            cleanup("From: Joe <joe@old.example>\t, <ann@old.example>",
                    "From: Joe <joe@new.example>, <ann@new.example>"),
            cleanup("To: a@old.example <b@old.example>",
                    "To: a@old.example <b@new.example>"),
            cleanup("Reply-To: group1: a@old.example;, group2: ;",
                    "Reply-To: group1: a@new.example;, group2: ;"),
            cleanup("To: joe@old.example\\",
                    "To: joe@new.example"),
            cleanup("To: <<joe@old.example>>",
                    "To: <<joe@old.example>>"),
            cleanup("To: joe@@old.example",
                    "To: \"joe@\"@new.example"),
            generic("From: joe@generic-old.example",
                    "From: joe@generic-new.example"),
            generic("To: Joe <joe@generic-old.example>, ann@x.example",
                    "To: Joe <joe@generic-new.example>, ann@x.example"),
            generic("To: \"a b\"@generic-old.example",
                    "To: \"a b\"@generic-new.example"),
            generic("To: x@other.example (not in the generic table)",
                    "To: x@other.example (not in the generic table)"),
            generic(longList(25, "g%d@generic-old.example"),
                    "To: g0@generic-new.example, g1@generic-new.example,\n\tg2@generic-new.example, g3@generic-new.example,\n\tg4@generic-new.example, g5@generic-new.example,\n\tg6@generic-new.example, g7@generic-new.example,\n\tg8@generic-new.example, g9@generic-new.example,\n\tg10@generic-new.example, g11@generic-new.example,\n\tg12@generic-new.example, g13@generic-new.example,\n\tg14@generic-new.example, g15@generic-new.example,\n\tg16@generic-new.example, g17@generic-new.example,\n\tg18@generic-new.example, g19@generic-new.example,\n\tg20@generic-new.example, g21@generic-new.example,\n\tg22@generic-new.example, g23@generic-new.example,\n\tg24@generic-new.example"),
            generic("From: joe@generic-old.example (Joe)",
                    "From: joe@generic-new.example (Joe)"),
            generic("To: group: a@generic-old.example;",
                    "To: group: a@generic-new.example;"),
            generic("To: a@old.example, b@generic-old.example",
                    "To: a@new.example, b@generic-new.example"),
            generic("To: joe@generic-old.example,\n ann@generic-old.example",
                    "To: joe@generic-new.example, ann@generic-new.example"),
            generic("To: \"a.b\"@generic-old.example",
                    "To: a.b@generic-new.example"),
            generic("Cc: Joe (c) <joe@generic-old.example>",
                    "Cc: Joe (c) <joe@generic-new.example>"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("cases")
    void sameAsPostfix(Case c) {
        c.expected().check(asRelayedByPostfix(c.in()));
    }

    /** The header as the captured Postfix relayed it: cleanup's rewriting, then the SMTP client's. */
    static String asRelayedByPostfix(String header) {
        String cleanup = rewriteAsCleanup(header);
        String stored = cleanup != null ? cleanup : header;
        String sent = HeaderAddresses.rewriteGeneric(stored, PostfixSteps::generic);
        return sent != null ? sent : stored;
    }

    static String rewriteAsCleanup(String header) {
        // sender_canonical_maps for sender headers, recipient_canonical_maps for the others: the
        // same table in the captured configuration, so one step serves both kinds.
        HeaderAddresses.AddressRewriter<RuntimeException> canonical = PostfixSteps::canonical;
        HeaderAddresses.AddressRewriter<RuntimeException> trivial = PostfixSteps::trivialRewrite;
        return HeaderAddresses.rewrite(header, HeaderAddresses.DEFAULT_TOKEN_LIMIT, List.of(trivial, canonical));
    }

    record Case(String kind, String in, Expected expected) {
        @Override
        public String toString() {
            String s = in.length() > 70 ? in.substring(0, 70) + "..." : in;
            return kind + ": " + s.replace("\n", "\\n").replace("\t", "\\t");
        }
    }

    /** Postfix's output: the text itself, or for very long outputs its SHA-256 and UTF-8 length. */
    interface Expected {
        void check(String actual);
    }

    private static Case cleanup(String in, String out) {
        return cleanup(in, (Expected) actual -> assertEquals(out, actual));
    }

    private static Case cleanup(String in, Expected out) {
        return new Case("cleanup", in, out);
    }

    private static Case generic(String in, String out) {
        return generic(in, (Expected) actual -> assertEquals(out, actual));
    }

    private static Case generic(String in, Expected out) {
        return new Case("generic", in, out);
    }

    private static Expected sha256(String hex, int length) {
        return actual -> {
            byte[] bytes = actual.getBytes(StandardCharsets.UTF_8);
            assertEquals(length, bytes.length, () -> "length of " + actual);
            try {
                assertEquals(hex, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new AssertionError(e);
            }
        };
    }

    /** "To: " and n addresses, five to a line, as the capture script folded them. */
    static String longList(int n, String format) {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i += 5) {
            List<String> line = new ArrayList<>();
            for (int j = i; j < Math.min(n, i + 5); j++) {
                line.add(String.format(format, j));
            }
            lines.add(String.join(", ", line));
        }
        return "To: " + String.join(",\n ", lines);
    }

    /** 12,000 tokens, more than header_address_token_limit (10240): one address per line. */
    static String tokenLimitList() {
        StringBuilder b = new StringBuilder("To: a@old.example,\n");
        for (int i = 0; i < 2000; i++) {
            b.append(" b").append(i).append("@x.example").append(i < 1999 ? ",\n" : "");
        }
        return b.toString();
    }

    /**
     * What trivial-rewrite and the regexp tables did in the captured configuration, built on the
     * same tokenizer (rewrite_tree() in trivial-rewrite/rewrite.c, mail_addr_map_opt()).
     */
    static final class PostfixSteps {
        private static final String MYORIGIN = "origin.example";
        private static final Pattern CANONICAL = Pattern.compile("^(.*)@old\\.example$", Pattern.CASE_INSENSITIVE);
        private static final Pattern GENERIC = Pattern.compile("^(.*)@generic-old\\.example$", Pattern.CASE_INSENSITIVE);

        /** rewrite_proto(): the local context with append_at_myorigin only (Postern's own, checked here). */
        static String trivialRewrite(String external) {
            return LocalRewrite.canonicalize(external, MYORIGIN);
        }

        /** sender/recipient_canonical_maps: looked up in external form, the result canonicalized. */
        static String canonical(String external) {
            Matcher m = CANONICAL.matcher(external);
            return m.matches() ? HeaderAddresses.quoteLocal(crunch(m.group(1) + "@new.example").get(0)) : external;
        }

        /** smtp_generic_maps: an internal address, queried in external form, the result internal. */
        static String generic(String internal) {
            Matcher m = GENERIC.matcher(HeaderAddresses.quoteLocal(internal));
            return m.matches() ? crunch(m.group(1) + "@generic-new.example").get(0) : null;
        }

        /** mail_addr_crunch_opt(): a table result's addresses, canonicalized, in internal form. */
        private static List<String> crunch(String result) {
            List<String> out = new ArrayList<>();
            for (String a : HeaderAddresses.parseListExternal(result)) {
                out.add(HeaderAddresses.unquoteLocal(trivialRewrite(a)));
            }
            return out;
        }
    }
}
