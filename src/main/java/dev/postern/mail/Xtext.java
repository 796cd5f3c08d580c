package dev.postern.mail;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * RFC 3461 §4 xtext, the encoding of the ENVID and ORCPT values: printable ASCII except '+' and
 * '=' stands for itself, anything else is {@code +XX} (two upper-case hex digits).
 */
public final class Xtext {
    private Xtext() {
    }

    /**
     * Decodes {@code text}; throws {@link IllegalArgumentException} for a character outside
     * '!'..'~', a bare '=', or a '+' not followed by two upper-case hex digits (Postfix's
     * xtext_unquote() is as strict).
     */
    public static String decode(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '+') {
                if (i + 2 >= text.length() || hex(text.charAt(i + 1)) < 0 || hex(text.charAt(i + 2)) < 0) {
                    throw new IllegalArgumentException("bad xtext escape");
                }
                out.write(hex(text.charAt(i + 1)) * 16 + hex(text.charAt(i + 2)));
                i += 2;
            } else if (c < '!' || c > '~' || c == '=') {
                throw new IllegalArgumentException("bad xtext character");
            } else {
                out.write(c);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Encodes {@code value} (UTF-8 bytes above 0x7e, controls, space, '+' and '=' become +XX). */
    public static String encode(String value) {
        StringBuilder sb = new StringBuilder(value.length() + 8);
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c < '!' || c > '~' || c == '+' || c == '=') {
                sb.append('+').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            } else {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }

    /**
     * Decodes the RFC 6533 form used by {@code ORCPT=utf-8;...}: text as is (UTF-8 allowed), with
     * {@code \\x{HEX}} standing for one code point, as Postfix's uxtext_unquote().
     */
    public static String decodeUnitext(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && text.startsWith("x{", i + 1)) {
                int close = text.indexOf('}', i + 3);
                if (close < 0 || close == i + 3 || close - (i + 3) > 6) {
                    throw new IllegalArgumentException("bad unitext escape");
                }
                int cp;
                try {
                    cp = Integer.parseInt(text.substring(i + 3, close), 16);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("bad unitext escape");
                }
                if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
                    throw new IllegalArgumentException("bad unitext code point");
                }
                out.appendCodePoint(cp);
                i = close;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /**
     * Encodes for {@code ORCPT=utf-8;...} in 7-bit form (Postfix's uxtext_quote() with
     * UXTEXT_QUOTE_OPT_7BIT): printable ASCII except '+', '=' and '\\' as is, every other code
     * point as {@code \\x{HEX}}.
     */
    public static String encodeUnitext(String value) {
        StringBuilder sb = new StringBuilder(value.length() + 8);
        value.codePoints().forEach(cp -> {
            if (cp >= '!' && cp <= '~' && cp != '+' && cp != '=' && cp != '\\') {
                sb.append((char) cp);
            } else {
                sb.append("\\x{").append(Integer.toHexString(cp).toUpperCase(java.util.Locale.ROOT)).append('}');
            }
        });
        return sb.toString();
    }

    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    }
}
