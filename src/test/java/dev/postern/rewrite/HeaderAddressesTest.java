package dev.postern.rewrite;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.postern.rewrite.HeaderAddresses.AddressRewriter;
import dev.postern.rewrite.HeaderAddresses.Kind;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The API's contract; byte-for-byte agreement with Postfix is HeaderAddressesPostfixTest's. */
class HeaderAddressesTest {
    private static final AddressRewriter<RuntimeException> OLD_TO_NEW =
            a -> a.replace("@old.example", "@new.example");
    private static final AddressRewriter<RuntimeException> APPEND_X = a -> a + "x";

    @Test
    void kindsAreExactlyPostfixsHeaderOptsTable() {
        for (String s : List.of("From", "Sender", "Reply-To", "Errors-To", "Return-Receipt-To", "Return-Path",
                "Resent-From", "Resent-Sender", "Mail-Followup-To", "Disposition-Notification-To")) {
            assertEquals(Kind.SENDER, HeaderAddresses.kind(s), s);
        }
        // Resent-Reply-To is a recipient header in Postfix's table, unlike Reply-To.
        for (String s : List.of("To", "Cc", "Bcc", "Apparently-To", "Resent-To", "Resent-Cc", "Resent-Bcc", "Resent-Reply-To")) {
            assertEquals(Kind.RECIPIENT, HeaderAddresses.kind(s), s);
        }
        for (String s : List.of("Subject", "Delivered-To", "X-Original-To", "Message-Id", "In-Reply-To", "", "X-From")) {
            assertEquals(Kind.NONE, HeaderAddresses.kind(s), s);
        }
        assertEquals(Kind.SENDER, HeaderAddresses.kind("FROM"));
        assertEquals(Kind.RECIPIENT, HeaderAddresses.kind("cC \t"));
    }

    @Test
    void nullWhenNoAddressChangesOrNoAddressHeader() {
        String h = "To: Joe <joe@x.example>,\n\t\"a b\"@y.example (c), undisclosed-recipients:;";
        assertNull(HeaderAddresses.rewrite(h, a -> a));
        assertNull(HeaderAddresses.rewrite("Subject: joe@old.example", OLD_TO_NEW));
        assertNull(HeaderAddresses.rewrite("no colon joe@old.example", OLD_TO_NEW));
        assertNull(HeaderAddresses.rewrite("To: <>", a -> "changed@example"), "<> is no address to rewrite");
    }

    @Test
    void rewriterSeesEachAddressInExternalFormAndNothingElse() {
        List<String> seen = new ArrayList<>();
        HeaderAddresses.rewrite("To: Joe <joe@x>, \"a b\"@y (comment), list: c\\ d@z;, <>, plain",
                a -> {
                    seen.add(a);
                    return a;
                });
        assertEquals(List.of("joe@x", "\"a b\"@y", "\"c d\"@z", "plain"), seen);
    }

    @Test
    void oneChangedAddressRebuildsTheWholeHeader() {
        assertEquals("To: a@new.example, b@x.example (kept)",
                HeaderAddresses.rewrite("To: a@old.example,\n   b@x.example   (kept)", OLD_TO_NEW));
        assertEquals("To: <b@x.example (c)>, a@new.example",
                HeaderAddresses.rewrite("To: <b(c)@x.example>, a@old.example", OLD_TO_NEW));
    }

    @Test
    void aStepChangedBackStillCountsAsARewrite() {
        AddressRewriter<RuntimeException> back = a -> a.replace("@new.example", "@old.example");
        assertEquals("To: a@old.example",
                HeaderAddresses.rewrite("To:   a@old.example", 0, List.of(OLD_TO_NEW, back)));
    }

    @Test
    void theRewritersCheckedExceptionReachesTheCaller() {
        AddressRewriter<IOException> failing = a -> {
            throw new IOException("table unavailable");
        };
        assertEquals("table unavailable",
                assertThrows(IOException.class, () -> HeaderAddresses.rewrite("From: a@b", failing)).getMessage());
    }

    @Test
    void theTokenLimitDropsTheRestOfARewrittenHeader() {
        // Only four tokens are parsed (a @ old .): the rest of the header is not output.
        assertEquals("To: a@old.x", HeaderAddresses.rewrite("To: a@old.example, b@old.example", 4, List.of(APPEND_X)));
        assertEquals("To: a@old.examplex, b@old.examplex",
                HeaderAddresses.rewrite("To: a@old.example, b@old.example", 0, List.of(APPEND_X)));
    }

    @Test
    void moreThan250BytesOfPhraseAreStrippedCountingUtf8Bytes() {
        String phrase = "é".repeat(126); // 252 bytes, 126 chars
        assertEquals("From: <joe@new.example>", HeaderAddresses.rewrite("From: " + phrase + " <joe@old.example>", OLD_TO_NEW));
        String shorter = "é".repeat(120);
        assertEquals("From: " + shorter + " <joe@new.example>",
                HeaderAddresses.rewrite("From: " + shorter + " <joe@old.example>", OLD_TO_NEW));
    }

    @Test
    void foldingJoinsAddressesWhileTheLineStaysUnder70Bytes() {
        String out = HeaderAddresses.rewrite("To: " + "a@old.example, ".repeat(9) + "a@old.example", OLD_TO_NEW);
        for (String line : out.split("\n")) {
            assertTrue(line.length() < 70 + "a@new.example, ".length(), line);
        }
        assertTrue(out.contains("\n\ta@new.example"), out);
        assertEquals(out.replace("\n\t", " "), "To: " + "a@new.example, ".repeat(9) + "a@new.example");
    }

    @Test
    void smtpGenericLooksUpInternalFormAndAFoundEntryCountsEvenIfEqual() {
        List<String> seen = new ArrayList<>();
        String out = HeaderAddresses.rewriteGeneric("To: \"a b\"@x.example,   c@y.example", a -> {
            seen.add(a);
            return a.startsWith("c@") ? a : null;
        });
        assertEquals(List.of("a b@x.example", "c@y.example"), seen);
        assertEquals("To: \"a b\"@x.example, c@y.example", out);
        assertNull(HeaderAddresses.rewriteGeneric("To: c@y.example", a -> null));
    }

    @Test
    void parseListGivesInternalFormsAsMailAddrCrunchDoes() {
        assertEquals(List.of("a@b", "c@d", "e f@g"), HeaderAddresses.parseList("a@b, Joe <c@d> (x), \"e f\"@g"));
        assertEquals(List.of("\"e f\"@g"), HeaderAddresses.parseListExternal("Someone <\"e f\"@g>"));
        assertEquals(List.of(""), HeaderAddresses.parseList(""));
        assertEquals(List.of(""), HeaderAddresses.parseList("<>"));
        assertEquals(List.of("a", "b@c"), HeaderAddresses.parseList("a b@c"));
        assertEquals(List.of("jöe@exämple"), HeaderAddresses.parseList("Jöe <jöe@exämple>"));
    }

    @Test
    void quoteAndUnquoteLocalPart() {
        assertEquals("\"a b\"@x", HeaderAddresses.quoteLocal("a b@x"));
        assertEquals("a.b@x", HeaderAddresses.quoteLocal("a.b@x"));
        assertEquals("\"a..b\"@x", HeaderAddresses.quoteLocal("a..b@x"));
        assertEquals("\"a\\\"b\"@x", HeaderAddresses.quoteLocal("a\"b@x"));
        assertEquals("\"\"", HeaderAddresses.quoteLocal(""));
        assertEquals("@r1,@r2:\"a b\"@x", HeaderAddresses.quoteLocal("@r1,@r2:a b@x"));
        assertEquals("jöe@x", HeaderAddresses.quoteLocal("jöe@x"));
        assertEquals("a b@x", HeaderAddresses.unquoteLocal("\"a b\"@x"));
        assertEquals("a\"b@x", HeaderAddresses.unquoteLocal("\"a\\\"b\"@x"));
        assertEquals("a@b@x", HeaderAddresses.unquoteLocal("\"a@b\"@x"));
        assertEquals("@r:a b@x", HeaderAddresses.unquoteLocal("@r:\"a b\"@x"));
    }

    /** Random and hostile text: never an exception, an identity rewrite never changes a header. */
    @Test
    void anyInputIsHandled() {
        Random random = new Random(822);
        String alphabet = "ab.@,;:<>()[]\"\\ \t\r\n%!|é\u0000\ud83d\ude00\ud800x";
        for (int i = 0; i < 20_000; i++) {
            StringBuilder b = new StringBuilder(random.nextBoolean() ? "To:" : "From: ");
            int length = random.nextInt(i % 100 == 0 ? 3000 : 60);
            for (int j = 0; j < length; j++) {
                b.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String header = b.toString();
            assertNull(HeaderAddresses.rewrite(header, a -> a), header);
            assertNull(HeaderAddresses.rewriteGeneric(header, a -> null), header);
            String out = assertDoesNotThrow(() -> HeaderAddresses.rewrite(header, APPEND_X), header);
            if (out != null) {
                assertTrue(out.startsWith(header.substring(0, header.indexOf(':')) + ": "), out);
                assertOneHeader(header, out);
            }
            String generic = assertDoesNotThrow(() -> HeaderAddresses.rewriteGeneric(header, a -> a + ">\nBcc: x"), header); // no table value has a CR
            if (generic != null) {
                assertOneHeader(header, generic);
            }
            assertNotNull(HeaderAddresses.parseList(header));
        }
    }

    /**
     * No smuggling: a rewritten header is one header, whatever the input or a table returned:
     * every line break is a fold (followed by a blank, so no empty line), and no CR that the input
     * did not have (one inside a comment is carried, as Postfix carries it).
     */
    private static void assertOneHeader(String in, String out) {
        assertTrue(out.chars().filter(c -> c == '\r').count() <= in.chars().filter(c -> c == '\r').count(), out);
        for (int i = out.indexOf('\n'); i >= 0; i = out.indexOf('\n', i + 1)) {
            assertTrue(i + 1 < out.length() && (out.charAt(i + 1) == ' ' || out.charAt(i + 1) == '\t'), out);
        }
    }

    @Test
    void deepAndLongInputsDoNotOverflow() {
        for (String unit : List.of("(", ")", "<", ">", ":", ";", "g: <a@b>;", "\"", "\\", "a ", "a,", "<:;>", ";:<", ",;")) {
            String header = "To: " + unit.repeat(50_000);
            assertNull(HeaderAddresses.rewrite(header, a -> a), unit);
            assertDoesNotThrow(() -> HeaderAddresses.rewrite(header, 0, List.of(APPEND_X)), unit);
            assertDoesNotThrow(() -> HeaderAddresses.rewriteGeneric(header, a -> "y"), unit);
        }
    }
}
