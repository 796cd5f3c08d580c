package dev.postern.log;

import java.util.List;
import java.util.Map;

/**
 * The few lines of JSON output the mail log needs (RFC 8259): objects of strings, numbers and
 * lists. Postern has no JSON library, and one is not worth a dependency for writing flat objects.
 */
final class Json {
    private Json() {
    }

    static void object(StringBuilder sb, Map<String, Object> fields) {
        sb.append('{');
        boolean first = true;
        for (Map.Entry<String, Object> e : fields.entrySet()) {
            if (e.getValue() == null) {
                continue;
            }
            if (!first) {
                sb.append(',');
            }
            first = false;
            string(sb, e.getKey());
            sb.append(':');
            value(sb, e.getValue());
        }
        sb.append('}');
    }

    private static void value(StringBuilder sb, Object v) {
        if (v instanceof java.lang.Number n) {
            sb.append(n);
        } else if (v instanceof Literal n) {
            sb.append(n.literal());
        } else if (v instanceof List<?> list) {
            sb.append('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                value(sb, list.get(i));
            }
            sb.append(']');
        } else {
            string(sb, String.valueOf(v));
        }
    }

    /** A number already formatted (Postfix's delay format "0.38" is a valid JSON number). */
    record Literal(String literal) {
    }

    static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) { // controls; JS line separators for safety
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
