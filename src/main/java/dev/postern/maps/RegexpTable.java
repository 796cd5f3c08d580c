package dev.postern.maps;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * regexp_table(5) and pcre_table(5), read as Postfix's dict_regexp.c and dict_pcre.c do.
 * <ul>
 * <li>{@code /pattern/flags value}; {@code !/pattern/ value} negated (each '!' toggles); the
 * delimiter is any non-alphanumeric character; first match wins; $1..$n in the value are
 * substituted. regexp: also {@code /p1/!/p2/ value} (p1 matches and p2 does not).</li>
 * <li>{@code if /pattern/flags} (or {@code if !/pattern/}) ... {@code endif}, nesting: the rules
 * between are consulted only when the if matches, else the lookup continues after its endif
 * (dict_regexp_lookup(), DICT_REGEXP_OP_IF). An if without endif covers the rest of the file and
 * a stray endif is ignored, as Postfix, each with a warning naming file:line; text after if or
 * endif (usually an indented rule, which continues the line) is refused.</li>
 * <li>regexp: flags {@code i} (case; insensitive by default), {@code m} (POSIX REG_NEWLINE:
 * {@code ^}/{@code $} at newlines, {@code .} and {@code [^...]} no longer match a newline),
 * {@code x} (REG_EXTENDED off: POSIX basic syntax). Patterns are translated from POSIX (GNU libc,
 * as Postfix on Linux reads them) to java.util.regex: bracket expressions as POSIX (a backslash
 * is literal there), GNU {@code \< \> \w \s \b \` \'}, basic syntax's {@code \( \) \{ \} \+ \?
 * \|}. A construct with no faithful translation is refused, naming file:line.</li>
 * <li>pcre: flags {@code i}, {@code m}, {@code s} (dot matches newline; on by default, as
 * Postfix 2.0 and later), {@code x}, {@code A} (anchored), {@code E} (dollar at the end only),
 * {@code X} (no effect: like PCRE2, Java rejects unknown escapes); {@code U} (ungreedy) is refused.</li>
 * </ul>
 * Patterns, if conditions included, are compiled once per load; a lookup never compiles.
 */
final class RegexpTable implements LookupTable {
    private static final Logger LOG = LoggerFactory.getLogger(RegexpTable.class);

    private static final int MATCH = 0;
    private static final int IF = 1;
    private static final int ENDIF = 2;

    /** One compiled line: a rule, an if (its condition), or an endif. */
    private static final class Rule {
        final int op;
        final Pattern pattern;
        final boolean negate;
        final boolean anchored;
        final Pattern second; // regexp's /p1/!/p2/, else null
        final boolean secondNegate;
        final String value;
        final String source; // MATCH: the pattern(s) and flags as written
        final int line;
        /** IF only: index of its endif, or -1: none, the if covers the rest of the table. Set while parsing. */
        int endif = -1;

        Rule(int op, Pat p, Pat second, String source, String value, int line) {
            this.op = op;
            this.pattern = p == null ? null : p.pattern();
            this.negate = p != null && p.negate();
            this.anchored = p != null && p.anchored();
            this.second = second == null ? null : second.pattern();
            this.secondNegate = second != null && second.negate();
            this.value = value;
            this.source = source;
            this.line = line;
        }
    }

    /** A parsed pattern: compiled, negated or not, pcre's A flag, and where its flags end. */
    private record Pat(Pattern pattern, boolean negate, boolean anchored, int end) {
    }

    /** One load of the file: the rules in file order and what Postfix would warn about. */
    private record Table(Rule[] rules, List<String> warnings) {
    }

    private final String spec;
    private final boolean pcre;
    private final WatchedFile<Table> table;
    /** Set by {@link #requireNoSubstitution}: an edit that adds a $n rule is refused, not loaded. */
    private volatile String noSubstitutionIn;

    RegexpTable(String spec, Path file, boolean pcre) {
        this.spec = spec;
        this.pcre = pcre;
        this.table = new WatchedFile<>(spec, file, this::parse, false);
    }

    /** dict_regexp_open() / dict_pcre_open(): rules in order, if/endif paired with a stack. */
    private Table parse(Path file) throws IOException {
        List<Rule> r = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        Deque<Integer> open = new ArrayDeque<>(); // indexes of the ifs not yet closed, innermost first
        for (SourceFile.Line l : SourceFile.logicalLines(file)) {
            Rule rule = line(file, l.line(), l.text(), open.size(), warnings);
            if (rule == null) {
                continue;
            }
            if (rule.op == IF) {
                open.push(r.size());
            } else if (rule.op == ENDIF) {
                r.get(open.pop()).endif = r.size();
            }
            r.add(rule);
        }
        for (int i : open) { // innermost first, as Postfix's while (nesting-- > 0)
            warnings.add(file + ":" + r.get(i).line + ": if has no matching endif: the rules after it, to the end"
                    + " of the file, are used only when it matches (as Postfix); add endif");
        }
        Rule[] rules = r.toArray(new Rule[0]);
        if (noSubstitutionIn != null) {
            checkNoSubstitution(rules, noSubstitutionIn);
        }
        for (String w : warnings) {
            LOG.warn("{}: {}", spec, w);
        }
        return new Table(rules, List.copyOf(warnings));
    }

    /** The rules (not if/endif) as {@link TableEntries} lists them: pattern and flags as written, value, line. */
    List<TableEntries.Entry> entries() throws LookupException {
        List<TableEntries.Entry> out = new ArrayList<>();
        for (Rule r : table.current().rules()) {
            if (r.op == MATCH) {
                out.add(new TableEntries.Entry(r.source, r.value, table.file(), r.line));
            }
        }
        return out;
    }

    /** What Postfix warns about but uses (an if without endif, a stray endif), as file:line texts. */
    List<String> warnings() throws LookupException {
        return table.current().warnings();
    }

    /** dict_regexp_parseline() / dict_pcre_parse_rule(); null for a line that adds no rule (a stray endif). */
    private Rule line(Path file, int line, String t, int nesting, List<String> warnings) {
        String where = file + ":" + line + ": ";
        if (!asciiAlnum(t.charAt(0))) {
            Pat first = pattern(where, t, 0, "a rule");
            int v = first.end();
            Pat second = null;
            if (!pcre && v < t.length() && t.charAt(v) == '!') {
                second = pattern(where, t, v, "the second pattern");
                v = second.end();
            }
            String value = t.substring(v).strip();
            if (value.isEmpty()) {
                throw new IllegalArgumentException(where + "no value after the pattern");
            }
            int sub = maxSubstitution(value);
            if (sub > 0 && first.negate()) {
                throw new IllegalArgumentException(where + "$" + sub + " in the value of a negated pattern, which"
                        + " matched nothing (Postfix skips this rule); write the value out in full");
            }
            int groups = first.pattern().matcher("").groupCount();
            if (sub > groups) {
                throw new IllegalArgumentException(where + "$" + sub + " but the pattern has " + groups + " group"
                        + (groups == 1 ? "" : "s") + " (Postfix skips this rule); use $1 to $" + groups + " only");
            }
            return new Rule(MATCH, first, second, t.substring(0, v).strip(), value, line);
        }
        if (keyword(t, "if")) {
            int p = skipSpace(t, 2);
            Pat cond = pattern(where, t, p, "if");
            if (skipSpace(t, cond.end()) < t.length()) {
                throw new IllegalArgumentException(where + "text after \"if /pattern/flags\" (Postfix ignores it);"
                        + " a line that starts with whitespace continues the previous line: do not indent the rules"
                        + " between if and endif, and put a comment on a line of its own");
            }
            return new Rule(IF, cond, null, null, null, line);
        }
        if (keyword(t, "endif")) {
            if (nesting == 0) {
                warnings.add(where + "endif without a matching if is ignored (as Postfix); remove it");
                return null;
            }
            if (skipSpace(t, 5) < t.length()) {
                throw new IllegalArgumentException(where + "text after \"endif\" (Postfix ignores it); a line that"
                        + " starts with whitespace continues the previous line: do not indent the rules between if"
                        + " and endif, and put a comment on a line of its own");
            }
            return new Rule(ENDIF, null, null, null, null, line);
        }
        throw new IllegalArgumentException(where + "a rule starts with /pattern/ (or is \"if /pattern/\" or \"endif\")");
    }

    private static boolean asciiAlnum(char c) {
        return c < 128 && Character.isLetterOrDigit(c);
    }

    /** strncasecmp(p, word) == 0 and not followed by an alphanumeric character. */
    private static boolean keyword(String t, String word) {
        return t.regionMatches(true, 0, word, 0, word.length())
                && (t.length() == word.length() || !asciiAlnum(t.charAt(word.length())));
    }

    private static int skipSpace(String t, int p) {
        while (p < t.length() && Character.isWhitespace(t.charAt(p))) {
            p++;
        }
        return p;
    }

    /**
     * dict_regexp_get_pat() / dict_pcre_get_pattern(): '!' and blanks (each '!' toggles the
     * negation), a delimiter (any character), the pattern up to the same delimiter unescaped, then
     * flags up to a blank (regexp: or a '!'). Compiled here, once.
     */
    private Pat pattern(String where, String t, int p, String what) {
        boolean negate = false;
        for (; p < t.length(); p++) {
            char c = t.charAt(p);
            if (c == '!') {
                negate = !negate;
            } else if (!Character.isWhitespace(c)) {
                break;
            }
        }
        if (p >= t.length()) {
            throw new IllegalArgumentException(where + "no pattern in " + what + "; write /pattern/");
        }
        char delim = t.charAt(p++);
        int start = p;
        while (p < t.length()) {
            char c = t.charAt(p);
            if (c == '\\') {
                if (p + 1 >= t.length()) {
                    break;
                }
                p++;
            } else if (c == delim) {
                break;
            }
            p++;
        }
        if (p >= t.length()) {
            throw new IllegalArgumentException(where + "missing closing " + delim + " in the pattern");
        }
        String re = t.substring(start, p++);
        boolean caseless = true;
        boolean multiline = false;
        boolean dotall = true; // regexp: no REG_NEWLINE; pcre: DICT_PCRE_DOTALL is on by default
        boolean extended = !pcre; // regexp: REG_EXTENDED; pcre: PCRE_EXTENDED (off)
        boolean anchored = false;
        boolean dollarEndOnly = false;
        for (; p < t.length() && !Character.isWhitespace(t.charAt(p)) && (pcre || t.charAt(p) != '!'); p++) {
            char f = t.charAt(p);
            switch (f) {
                case 'i' -> caseless = !caseless;
                case 'm' -> {
                    multiline = !multiline;
                    if (!pcre) {
                        dotall = !multiline; // REG_NEWLINE: '.' no longer matches a newline
                    }
                }
                case 'x' -> extended = !extended;
                case 's', 'A', 'E', 'U', 'X' -> {
                    if (!pcre) {
                        throw unknownFlag(where, f);
                    }
                    switch (f) {
                        case 's' -> dotall = !dotall;
                        case 'A' -> anchored = !anchored;
                        case 'E' -> dollarEndOnly = !dollarEndOnly;
                        case 'U' -> throw new IllegalArgumentException(where + "pcre flag \"U\" (ungreedy) is not"
                                + " supported; write the quantifiers lazy (*?, +?, ??) instead, without the flag");
                        default -> { } // X: Java, like PCRE2, always rejects an unknown escape
                    }
                }
                default -> throw unknownFlag(where, f);
            }
        }
        try {
            // UNIX_LINES: only \n ends a line for '.', '^' and '$', as in POSIX regex and PCRE (Java
            // would also stop at \r and U+0085)
            int flags = Pattern.UNIX_LINES | (caseless ? Pattern.CASE_INSENSITIVE : 0)
                    | (multiline ? Pattern.MULTILINE : 0) | (dotall ? Pattern.DOTALL : 0)
                    | (pcre && extended ? Pattern.COMMENTS : 0);
            String java = pcre ? pcrePattern(re, extended, dollarEndOnly && !multiline)
                    : posixPattern(re, extended, multiline);
            return new Pat(Pattern.compile(java, flags), negate, anchored, p);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(where + "bad regular expression: " + e.getDescription()
                    + (e.getIndex() >= 0 && pcre ? " at offset " + e.getIndex() : ""));
        }
    }

    private IllegalArgumentException unknownFlag(String where, char f) {
        return new IllegalArgumentException(where + "unknown " + (pcre ? "pcre" : "regexp") + " flag \"" + f
                + "\" after the pattern (Postern supports " + (pcre ? "i, m, s, x, A, E, X" : "i, m, x") + ")");
    }

    /** The largest n of a $n, ${n} or $(n) in a value (as {@link #expand} reads them), 0 when none. */
    static int maxSubstitution(String value) {
        int max = 0;
        for (int i = 0; i + 1 < value.length(); i++) {
            if (value.charAt(i) != '$') {
                continue;
            }
            char n = value.charAt(i + 1);
            if (n == '$') {
                i++;
                continue;
            }
            int s = n == '{' || n == '(' ? i + 2 : i + 1;
            int e = s;
            while (e < value.length() && value.charAt(e) >= '0' && value.charAt(e) <= '9') {
                e++;
            }
            boolean closed = s == i + 1 || (e < value.length() && value.charAt(e) == (n == '{' ? '}' : ')'));
            if (e > s && e - s <= 4 && closed) {
                max = Math.max(max, Integer.parseInt(value.substring(s, e)));
            }
        }
        return max;
    }

    private static final Map<String, String> POSIX_CLASSES = Map.ofEntries(
            Map.entry("alpha", "\\p{Alpha}"), Map.entry("digit", "\\p{Digit}"),
            Map.entry("alnum", "\\p{Alnum}"), Map.entry("upper", "\\p{Upper}"),
            Map.entry("lower", "\\p{Lower}"), Map.entry("space", "\\s"),
            Map.entry("blank", "\\p{Blank}"), Map.entry("punct", "\\p{Punct}"),
            Map.entry("graph", "\\p{Graph}"), Map.entry("print", "\\p{Print}"),
            Map.entry("cntrl", "\\p{Cntrl}"), Map.entry("xdigit", "\\p{XDigit}"));
    private static final Map<String, String> PCRE_CLASSES = Map.of("word", "\\w", "ascii", "\\p{ASCII}");

    /**
     * A POSIX regular expression (regcomp() as GNU libc, which Postfix on Linux uses) for
     * java.util.regex. Extended syntax (REG_EXTENDED, the default) or, with flag x, basic syntax:
     * {@code \( \)} group, {@code \{m,n\}} interval, GNU's {@code \+ \? \|}; {@code + ? | ( ) { }}
     * are literals; {@code *} first (in the pattern, a group or an alternative) is a literal, as
     * is {@code ^} not first and {@code $} not last. Both: bracket expressions as POSIX (a
     * backslash is a literal there, {@code [:class:]}, {@code [.c.]} and {@code [=c=]} of one
     * character; with {@code regNewline} a {@code [^...]} never matches a newline), backreferences
     * \1 to \9, GNU's {@code \w \W \s \S \b \B \< \> \` \'}, a backslash before any other
     * non-alphanumeric character quotes it. A quantifier on a quantified atom applies to it whole
     * ({@code a*+} is (a*)+, never Java's possessive). What has no faithful translation ({@code \d},
     * {@code \n} and other escaped letters, which GNU libc does not read as Perl does; repeated
     * quantifiers in basic syntax, {@code (?}, a quantifier with nothing before it) is a
     * {@link PatternSyntaxException}: the line is refused, never matched differently.
     */
    static String posixPattern(String re, boolean extended, boolean regNewline) {
        StringBuilder out = new StringBuilder(re.length() + 16);
        Deque<Integer> groups = new ArrayDeque<>(); // output offsets of the open groups
        int atom = -1; // output offset where the last quantifiable atom starts; -1: none
        boolean quantified = false; // the last thing written was a quantifier
        boolean first = true; // at the start of the pattern, a group or an alternative (before any atom)
        int n = re.length();
        for (int i = 0; i < n; i++) {
            char c = re.charAt(i);
            String quantifier = null;
            if (c == '\\') {
                if (i + 1 >= n) {
                    throw new PatternSyntaxException("trailing backslash", re, i);
                }
                char e = re.charAt(++i);
                if (!extended && e == '(') {
                    groups.push(out.length());
                    out.append('(');
                    atom = -1;
                    quantified = false;
                    first = true;
                    continue;
                } else if (!extended && e == ')') {
                    if (groups.isEmpty()) {
                        throw new PatternSyntaxException("unmatched \\)", re, i);
                    }
                    out.append(')');
                    atom = groups.pop();
                    quantified = false;
                    first = false;
                    continue;
                } else if (!extended && e == '|') {
                    out.append('|');
                    atom = -1;
                    quantified = false;
                    first = true;
                    continue;
                } else if (!extended && (e == '+' || e == '?')) {
                    quantifier = String.valueOf(e);
                } else if (!extended && e == '{') {
                    int close = re.indexOf("\\}", i + 1);
                    if (close < 0) {
                        throw new PatternSyntaxException("unmatched \\{", re, i);
                    }
                    quantifier = interval(re, i + 1, close, i);
                    i = close + 1;
                } else if (e >= '1' && e <= '9') {
                    if (e - '0' > countGroups(re, i, extended)) {
                        throw new PatternSyntaxException("invalid back reference", re, i);
                    }
                    atom = out.length();
                    out.append("(?:\\").append(e).append(')');
                    quantified = false;
                    first = false;
                    continue;
                } else if ("wWsS".indexOf(e) >= 0) {
                    atom = out.length();
                    out.append('\\').append(e);
                    quantified = false;
                    first = false;
                    continue;
                } else if ("bB<>`'".indexOf(e) >= 0) {
                    out.append(switch (e) {
                        case '<' -> "\\b(?=\\w)";
                        case '>' -> "\\b(?<=\\w)";
                        case '`' -> "\\A";
                        case '\'' -> "\\z";
                        default -> "\\" + e;
                    });
                    atom = -1;
                    quantified = false;
                    first = false;
                    continue;
                } else if (e < 128 && Character.isLetterOrDigit(e)) {
                    throw new PatternSyntaxException("\\" + e + " is not " + (e == 'd' ? "a digit" : e == 'n' ? "a newline"
                            : e == 't' ? "a tab" : "special") + " in a POSIX regular expression (GNU libc, as Postfix"
                            + " uses it, matches neither what Perl means nor the letter); write a bracket expression"
                            + " such as [0-9] or [[:space:]], or the letter itself", re, i - 1);
                } else {
                    atom = out.length();
                    literal(out, e);
                    quantified = false;
                    first = false;
                    continue;
                }
            } else if (extended && c == '(') {
                if (i + 1 < n && (re.charAt(i + 1) == '?' || re.charAt(i + 1) == '*' || re.charAt(i + 1) == '+')) {
                    throw new PatternSyntaxException("a quantifier with nothing before it", re, i + 1);
                }
                groups.push(out.length());
                out.append('(');
                atom = -1;
                quantified = false;
                first = true;
                continue;
            } else if (extended && c == ')' && !groups.isEmpty()) { // an unmatched ) is a literal (GNU)
                out.append(')');
                atom = groups.pop();
                quantified = false;
                first = false;
                continue;
            } else if (extended && c == '|') {
                out.append('|');
                atom = -1;
                quantified = false;
                first = true;
                continue;
            } else if (c == '*' && !extended && first) {
                atom = out.length();
                out.append("\\*");
                first = false;
                continue;
            } else if (c == '*' || (extended && (c == '+' || c == '?'))) {
                quantifier = String.valueOf(c);
            } else if (extended && c == '{') {
                int close = re.indexOf('}', i + 1);
                if (close < 0) {
                    throw new PatternSyntaxException("unmatched {", re, i);
                }
                quantifier = interval(re, i + 1, close, i);
                i = close;
            } else if (c == '^' && (extended || first)) {
                out.append('^');
                atom = -1;
                quantified = false;
                continue; // still first: a * after a leading ^ is a literal in basic syntax
            } else if (c == '$' && (extended || i + 1 == n || re.startsWith("\\)", i + 1) || re.startsWith("\\|", i + 1))) {
                out.append(regNewline ? "$" : "\\z"); // POSIX: not before a final newline, as Java's $ would
                atom = -1;
                quantified = false;
                first = false;
                continue;
            } else if (c == '[') {
                atom = out.length();
                i = bracket(re, i, out, regNewline);
                quantified = false;
                first = false;
                continue;
            } else if (c == '.') {
                atom = out.length();
                out.append('.');
                quantified = false;
                first = false;
                continue;
            } else {
                atom = out.length();
                literal(out, c);
                quantified = false;
                first = false;
                continue;
            }
            // a quantifier
            if (atom < 0) {
                throw new PatternSyntaxException("a quantifier with nothing before it", re, i);
            }
            if (quantified) {
                if (!extended) {
                    throw new PatternSyntaxException("a repeated quantifier (GNU libc refuses it in basic syntax)", re, i);
                }
                out.insert(atom, "(?:").append(')');
            }
            out.append(quantifier);
            quantified = true;
            first = false;
        }
        if (!groups.isEmpty()) {
            throw new PatternSyntaxException("unmatched " + (extended ? "(" : "\\("), re, n);
        }
        return out.toString();
    }

    /** How many groups open before offset {@code at} of a POSIX pattern (for a backreference). */
    private static int countGroups(String re, int at, boolean extended) {
        int count = 0;
        boolean inBracket = false;
        for (int i = 0; i < at; i++) {
            char c = re.charAt(i);
            if (inBracket) {
                if (c == ']') {
                    inBracket = false;
                }
            } else if (c == '\\' && i + 1 < at) {
                if (!extended && re.charAt(++i) == '(') {
                    count++;
                }
            } else if (c == '[') {
                inBracket = true;
                if (i + 1 < at && re.charAt(i + 1) == '^') {
                    i++;
                }
                if (i + 1 < at && re.charAt(i + 1) == ']') {
                    i++;
                }
            } else if (extended && c == '(') {
                count++;
            }
        }
        return count;
    }

    /** {@code m}, {@code m,} or {@code m,n} between {@code from} and {@code to}: Java's {m}, {m,}, {m,n}. */
    private static String interval(String re, int from, int to, int at) {
        String body = re.substring(from, to);
        if (!body.matches("\\d{1,5}(,\\d{0,5})?")) {
            throw new PatternSyntaxException("invalid interval {" + body + "}", re, at);
        }
        int comma = body.indexOf(',');
        if (comma > 0 && comma + 1 < body.length()
                && Integer.parseInt(body.substring(comma + 1)) < Integer.parseInt(body.substring(0, comma))) {
            throw new PatternSyntaxException("invalid interval {" + body + "}", re, at);
        }
        return "{" + body + "}";
    }

    private static void literal(StringBuilder out, char c) {
        if ("\\^$.|?*+()[]{}".indexOf(c) >= 0) {
            out.append('\\');
        }
        out.append(c);
    }

    /**
     * A POSIX bracket expression at {@code re[i] == '['}, written to {@code out} as a Java class;
     * returns the offset of its closing ']'. A ']' first is a literal, a backslash is a literal,
     * '[' and '&' are literals (Java would read a nested class, an intersection).
     */
    private static int bracket(String re, int i, StringBuilder out, boolean regNewline) {
        int start = i;
        int n = re.length();
        out.append('[');
        int j = i + 1;
        if (j < n && re.charAt(j) == '^') {
            out.append(regNewline ? "^\\n" : "^");
            j++;
        }
        boolean first = true;
        for (; ; j++) {
            if (j >= n) {
                throw new PatternSyntaxException("unmatched [", re, start);
            }
            char c = re.charAt(j);
            if (c == ']' && !first) {
                out.append(']');
                return j;
            }
            first = false;
            if (c == '[' && j + 1 < n && ":.=".indexOf(re.charAt(j + 1)) >= 0) {
                char kind = re.charAt(j + 1);
                int end = re.indexOf(kind + "]", j + 2);
                if (end < 0) {
                    throw new PatternSyntaxException("unmatched [" + kind, re, j);
                }
                String name = re.substring(j + 2, end);
                if (kind == ':') {
                    String java = POSIX_CLASSES.get(name);
                    if (java == null) {
                        throw new PatternSyntaxException("unknown POSIX character class", re, j);
                    }
                    out.append(java);
                } else if (name.length() == 1) {
                    literal(out, name.charAt(0)); // one character, in the C locale: itself
                } else {
                    throw new PatternSyntaxException("collating element or equivalence class [" + kind + name + kind
                            + "] is not supported", re, j);
                }
                j = end + 1;
            } else if ("\\[]&^".indexOf(c) >= 0) {
                out.append('\\').append(c);
            } else {
                out.append(c);
            }
        }
    }

    /**
     * A PCRE pattern for java.util.regex: a POSIX class inside a list ({@code [[:space:]]},
     * PCRE's {@code [[:word:]]}, {@code [[:^alpha:]]}) becomes Java's, which Java would otherwise
     * read as the letters of its name; '[' and '&' in a list are literals (Java: a nested class,
     * an intersection); {@code \Q...\E} is copied; with {@code extended} (flag x) a blank or '#' in
     * a list stays a literal (Java's COMMENTS would drop it) and a '#' comment ends the pattern;
     * with {@code dollarEndOnly} (flag E) a '$' matches at the very end only. Escapes are copied;
     * a ']' first in a list is a literal.
     */
    static String pcrePattern(String re, boolean extended, boolean dollarEndOnly) {
        StringBuilder out = new StringBuilder(re.length() + 8);
        boolean inClass = false;
        for (int i = 0; i < re.length(); i++) {
            char c = re.charAt(i);
            if (c == '\\' && i + 1 < re.length() && re.charAt(i + 1) == 'Q') {
                int end = re.indexOf("\\E", i + 2);
                int stop = end < 0 ? re.length() : end + 2;
                out.append(re, i, stop);
                i = stop - 1;
            } else if (c == '\\' && i + 1 < re.length()) {
                out.append(c).append(re.charAt(++i));
            } else if (!inClass && c == '[') {
                inClass = true;
                out.append(c);
                if (i + 1 < re.length() && re.charAt(i + 1) == '^') {
                    out.append('^');
                    i++;
                }
                if (i + 1 < re.length() && re.charAt(i + 1) == ']') {
                    out.append("\\]"); // literal, first in the list
                    i++;
                }
            } else if (inClass && c == '[' && i + 1 < re.length() && re.charAt(i + 1) == ':') {
                int end = re.indexOf(":]", i + 2);
                boolean negated = end > i + 2 && re.charAt(i + 2) == '^'; // PCRE's [:^alpha:]
                String name = end < 0 ? "" : re.substring(i + (negated ? 3 : 2), end);
                String java = POSIX_CLASSES.getOrDefault(name, PCRE_CLASSES.get(name));
                if (java == null) {
                    throw new PatternSyntaxException("unknown POSIX character class", re, i);
                }
                out.append(!negated ? java : java.startsWith("\\p") ? "\\P" + java.substring(2)
                        : "\\" + Character.toUpperCase(java.charAt(1)));
                i = end + 1;
            } else if (inClass && (c == '[' || c == '&' || (extended && c == '#'))) {
                out.append('\\').append(c);
            } else if (inClass && extended && Character.isWhitespace(c)) {
                out.append(c == ' ' ? "\\ " : c == '\t' ? "\\t" : c == '\n' ? "\\n" : String.format("\\x{%x}", (int) c));
            } else if (!inClass && extended && c == '#') {
                break; // a comment to the end of the line: the pattern is one line
            } else if (!inClass && dollarEndOnly && c == '$') {
                out.append("\\z");
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
            checkNoSubstitution(table.current().rules(), parameter);
        } catch (LookupException e) {
            throw new IllegalStateException(e); // not reachable: a regexp table that could not be read was refused
        }
        noSubstitutionIn = parameter;
    }

    private void checkNoSubstitution(Rule[] rules, String parameter) {
        for (Rule r : rules) {
            if (r.op == MATCH && r.value.matches("(?s).*\\$(\\d|\\{\\d+}).*")) {
                throw new IllegalArgumentException(spec + ", line " + r.line + ": regular expression substitution ($n)"
                        + " is not allowed in " + parameter + " (Postfix skips this rule); write the value out in full");
            }
        }
    }

    /**
     * dict_regexp_lookup() / dict_pcre_lookup(): the first rule that matches (a negated one: that
     * does not match) answers; an if whose condition fails skips to after its endif, or ends the
     * lookup when it has none.
     */
    @Override
    public Optional<String> lookup(String key) throws LookupException {
        Rule[] rules = table.current().rules();
        for (int i = 0; i < rules.length; i++) {
            Rule r = rules[i];
            switch (r.op) {
                case MATCH -> {
                    Matcher m = r.pattern.matcher(key);
                    boolean found = r.anchored ? m.lookingAt() : m.find();
                    if (found == r.negate) {
                        continue;
                    }
                    if (r.second != null && r.second.matcher(key).find() == r.secondNegate) {
                        continue;
                    }
                    return Optional.of(expand(r.value, m)); // a negated rule has no $n (refused), but $$ is $
                }
                case IF -> {
                    Matcher m = r.pattern.matcher(key);
                    if ((r.anchored ? m.lookingAt() : m.find()) != r.negate) {
                        continue;
                    }
                    if (r.endif < 0) {
                        return Optional.empty();
                    }
                    i = r.endif;
                }
                default -> { } // ENDIF
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
