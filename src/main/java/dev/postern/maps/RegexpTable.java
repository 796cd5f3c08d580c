package dev.postern.maps;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * regexp_table(5) and pcre_table(5): {@code /pattern/flags value}, {@code !/pattern/ value}
 * negated; first match wins; $1..$9 in the value are substituted. Flags toggle as in Postfix:
 * {@code i} case (insensitive by default), {@code m} multi-line ({@code ^} and {@code $} also at
 * newlines; for regexp: also {@code .} no longer matches a newline, as POSIX REG_NEWLINE), for
 * pcre {@code s} (dot matches newline; off by default) and {@code x} (extended). A regexp:
 * table's {@code .} matches a newline by default, as POSIX regcomp() without REG_NEWLINE: what
 * lets {@code /^Subject:.*foo/} match a folded header (header_checks see folded lines joined
 * by a newline). Other flags (regexp's x, POSIX basic syntax; pcre's A, E, U, X) are refused, not ignored.
 */
final class RegexpTable implements LookupTable {
    private record Rule(Pattern pattern, boolean negate, String value, int line) {
    }

    private final String spec;
    private final boolean pcre;
    private final WatchedFile<List<Rule>> rules;
    /** Set by {@link #requireNoSubstitution}: an edit that adds a $n rule is refused, not loaded. */
    private volatile String noSubstitutionIn;

    RegexpTable(String spec, Path file, boolean pcre) {
        this.spec = spec;
        this.pcre = pcre;
        this.rules = new WatchedFile<>(spec, file, this::parse, false);
    }

    private List<Rule> parse(Path file) throws IOException {
        List<Rule> r = new ArrayList<>();
        for (SourceFile.Line l : SourceFile.logicalLines(file)) {
            r.add(rule(file, l.line(), l.text(), pcre));
        }
        if (noSubstitutionIn != null) {
            checkNoSubstitution(r, noSubstitutionIn);
        }
        return List.copyOf(r);
    }

    private static Rule rule(Path file, int line, String t, boolean pcre) {
        boolean negate = t.startsWith("!");
        String s = negate ? t.substring(1) : t;
        if (!s.startsWith("/")) {
            throw new IllegalArgumentException(file + ":" + line + ": a rule starts with /pattern/");
        }
        int end = s.indexOf('/', 1);
        while (end > 0 && s.charAt(end - 1) == '\\') {
            end = s.indexOf('/', end + 1);
        }
        if (end < 0) {
            throw new IllegalArgumentException(file + ":" + line + ": missing closing / in the pattern");
        }
        String re = s.substring(1, end);
        int v = end + 1;
        boolean caseless = true;
        boolean multiline = false;
        boolean dotall = !pcre;
        boolean extended = false;
        while (v < s.length() && !Character.isWhitespace(s.charAt(v))) {
            char f = s.charAt(v);
            if (f == 'i') {
                caseless = !caseless;
            } else if (f == 'm') {
                multiline = !multiline;
                if (!pcre) {
                    dotall = !multiline;
                }
            } else if (f == 's' && pcre) {
                dotall = !dotall;
            } else if (f == 'x' && pcre) {
                extended = !extended;
            } else if (f == 'x') { // regexp: x turns POSIX extended syntax off; Java has no basic syntax
                throw new IllegalArgumentException(file + ":" + line + ": flag x (POSIX basic regular expressions)"
                        + " is not supported; write the pattern as an extended one, without the flag");
            } else {
                throw new IllegalArgumentException(file + ":" + line + ": unknown " + (pcre ? "pcre" : "regexp")
                        + " flag \"" + f + "\" after the pattern (Postern supports " + (pcre ? "i, m, s, x" : "i, m") + ")");
            }
            v++;
        }
        String value = s.substring(v).strip();
        if (value.isEmpty()) {
            throw new IllegalArgumentException(file + ":" + line + ": no value after the pattern");
        }
        try {
            // UNIX_LINES: only \n ends a line for '.', '^' and '$', as in POSIX regex and PCRE (Java
            // would also stop at \r and U+0085)
            int flags = Pattern.UNIX_LINES | (caseless ? Pattern.CASE_INSENSITIVE : 0) | (multiline ? Pattern.MULTILINE : 0)
                    | (dotall ? Pattern.DOTALL : 0) | (extended ? Pattern.COMMENTS : 0);
            // POSIX REG_NEWLINE (regexp's m flag) also keeps a negated list [^...] from matching a newline
            return new Rule(Pattern.compile(javaPattern(re, !pcre && multiline), flags), negate, value, line);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(file + ":" + line + ": bad regular expression: " + e.getDescription());
        }
    }

    private static final java.util.Map<String, String> POSIX_CLASSES = java.util.Map.ofEntries(
            java.util.Map.entry("alpha", "\\p{Alpha}"), java.util.Map.entry("digit", "\\p{Digit}"),
            java.util.Map.entry("alnum", "\\p{Alnum}"), java.util.Map.entry("upper", "\\p{Upper}"),
            java.util.Map.entry("lower", "\\p{Lower}"), java.util.Map.entry("space", "\\s"),
            java.util.Map.entry("blank", "\\p{Blank}"), java.util.Map.entry("punct", "\\p{Punct}"),
            java.util.Map.entry("graph", "\\p{Graph}"), java.util.Map.entry("print", "\\p{Print}"),
            java.util.Map.entry("cntrl", "\\p{Cntrl}"), java.util.Map.entry("xdigit", "\\p{XDigit}"),
            java.util.Map.entry("word", "\\w"), java.util.Map.entry("ascii", "\\p{ASCII}")); // the last two: PCRE's

    /**
     * A POSIX (regexp:) or PCRE (pcre:) pattern for java.util.regex: a POSIX character class inside
     * a list ({@code [[:space:]]}, common in header_checks) becomes Java's ({@code \s}, {@code
     * \p{Alpha}}), which Java would otherwise read as the letters of its name; with {@code
     * negatedExcludeNewline} (regexp's m flag, POSIX REG_NEWLINE) {@code [^abc]} becomes
     * {@code [^\nabc]}, as a nonmatching list never matches a newline there. Escapes are copied;
     * a ']' first in a list is a literal.
     */
    static String javaPattern(String re, boolean negatedExcludeNewline) {
        StringBuilder out = new StringBuilder(re.length() + 8);
        boolean inClass = false;
        for (int i = 0; i < re.length(); i++) {
            char c = re.charAt(i);
            if (c == '\\' && i + 1 < re.length()) {
                out.append(c).append(re.charAt(++i));
            } else if (!inClass && c == '[') {
                inClass = true;
                out.append(c);
                if (i + 1 < re.length() && re.charAt(i + 1) == '^') {
                    out.append(negatedExcludeNewline ? "^\\n" : "^");
                    i++;
                }
                if (i + 1 < re.length() && re.charAt(i + 1) == ']') {
                    out.append("\\]"); // literal, first in the list
                    i++;
                }
            } else if (inClass && c == '[' && i + 1 < re.length() && re.charAt(i + 1) == ':') {
                int end = re.indexOf(":]", i + 2);
                boolean negated = end > i + 2 && re.charAt(i + 2) == '^'; // PCRE's [:^alpha:]
                String java = end < 0 ? null : POSIX_CLASSES.get(re.substring(i + (negated ? 3 : 2), end));
                if (java == null) {
                    throw new PatternSyntaxException("unknown POSIX character class", re, i);
                }
                out.append(!negated ? java : java.startsWith("\\p") ? "\\P" + java.substring(2)
                        : "\\" + Character.toUpperCase(java.charAt(1)));
                i = end + 1;
            } else {
                if (inClass && c == ']') {
                    inClass = false;
                }
                out.append(c);
            }
        }
        return out.toString();
    }

    /**
     * Postfix opens transport_maps and sender_dependent_relayhost_maps with DICT_FLAG_NO_REGSUB and
     * skips rules whose value uses $1...; Postern refuses to start instead, naming the rule, so the
     * rule is not silently ignored.
     */
    void requireNoSubstitution(String parameter) {
        try {
            checkNoSubstitution(rules.current(), parameter);
        } catch (LookupException e) {
            throw new IllegalStateException(e); // not reachable: a regexp table that could not be read was refused
        }
        noSubstitutionIn = parameter;
    }

    private void checkNoSubstitution(List<Rule> rules, String parameter) {
        for (Rule r : rules) {
            if (r.value().matches("(?s).*\\$(\\d|\\{\\d+}).*")) {
                throw new IllegalArgumentException(spec + ", line " + r.line() + ": regular expression substitution ($n)"
                        + " is not allowed in " + parameter + " (Postfix skips this rule); write the value out in full");
            }
        }
    }

    @Override
    public Optional<String> lookup(String key) throws LookupException {
        for (Rule r : rules.current()) {
            Matcher m = r.pattern().matcher(key);
            boolean found = m.find();
            if (found != r.negate()) {
                return Optional.of(found ? expand(r.value(), m) : r.value());
            }
        }
        return Optional.empty();
    }

    /**
     * Postfix's dict_regexp_expand() over mac_parse(), in one pass: {@code $n}, {@code ${n}} and
     * {@code $(n)} become subexpression n (empty when it matched nothing or does not exist),
     * {@code $$} a single {@code $}; anything else is kept as written. A substituted text is never
     * read again (a {@code $1} inside what {@code $2} matched stays as it is).
     */
    static String expand(String value, Matcher m) {
        if (value.indexOf('$') < 0) {
            return value;
        }
        StringBuilder out = new StringBuilder(value.length() + 32);
        int i = 0;
        while (i < value.length()) {
            char c = value.charAt(i);
            if (c != '$' || i + 1 >= value.length()) {
                out.append(c);
                i++;
                continue;
            }
            char n = value.charAt(i + 1);
            if (n == '$') {
                out.append('$');
                i += 2;
                continue;
            }
            int start = i + 1;
            int end;
            int next;
            if (n == '{' || n == '(') {
                int close = value.indexOf(n == '{' ? '}' : ')', start + 1);
                if (close < 0) {
                    out.append(c);
                    i++;
                    continue;
                }
                start++;
                end = close;
                next = close + 1;
            } else {
                end = start;
                while (end < value.length() && Character.isDigit(value.charAt(end))) {
                    end++;
                }
                next = end;
            }
            String name = value.substring(start, end);
            if (name.isEmpty() || !name.chars().allMatch(ch -> ch >= '0' && ch <= '9') || name.length() > 4) {
                out.append(value, i, next == i + 1 ? i + 1 : next);
                i = next == i + 1 ? i + 1 : next;
                continue;
            }
            int g = Integer.parseInt(name);
            String text = g <= m.groupCount() ? m.group(g) : null;
            out.append(text == null ? "" : text);
            i = next;
        }
        return out.toString();
    }

    @Override
    public boolean fixed() {
        return false;
    }

    @Override
    public String spec() {
        return spec;
    }
}
