package dev.postern.cleanup;

import dev.postern.rewrite.AddressRewriting;
import dev.postern.rewrite.RewriteSettings;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** The primary header's address headers in the local context; 8-bit headers; message_drop_headers. */
class HeaderRewriteTest {
    private static final AddressRewriting LOCAL = AddressRewriting.open(new RewriteSettings(List.of(), Set.of(), List.of(),
            Set.of(), List.of(), Set.of(), List.of(), Set.of(), List.of(), List.of(), 1000, 1000, 1000, Set.of(), "",
            "desk.example", List.of(), true, ""));

    private static byte[] latin1(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void aHeaderInLatin1IsCompletedWithItsBytesKept() throws Exception {
        byte[] in = latin1("Subject: caf\u00e9\r\nTo: J\u00fcrgen <juergen>\r\n\r\n");
        byte[] out = HeaderRewrite.apply(in, LOCAL, false, true, w -> { });
        assertArrayEquals(latin1("Subject: caf\u00e9\r\nTo: J\u00fcrgen <juergen@desk.example>\r\n\r\n"), out);
        byte[] qualified = latin1("To: J\u00fcrgen <juergen@desk.example>\r\n\r\n");
        assertSame(qualified, HeaderRewrite.apply(qualified, LOCAL, false, true, w -> { }), "nothing to change: the same block");
    }

    @Test
    void dropKeepsTheEmptyLineAndFoldedHeadersWhole() {
        byte[] in = latin1("To: a@x\r\nBcc: b@x,\r\n c@x\r\nX: y\r\n\r\nBcc: body\r\n");
        assertArrayEquals(latin1("To: a@x\r\nX: y\r\n\r\nBcc: body\r\n"), HeaderRewrite.drop(in, Set.of("bcc", "")));
        byte[] mime = latin1("Content-Type: text/plain\r\nContent-Length: 5\r\n\r\n");
        assertArrayEquals(latin1("Content-Type: text/plain\r\n\r\n"), HeaderRewrite.drop(mime, Set.of("content-type", "content-length")),
                "a MIME header is never dropped, as in Postfix");
    }
}
