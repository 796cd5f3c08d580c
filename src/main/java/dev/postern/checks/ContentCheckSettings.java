package dev.postern.checks;

import dev.postern.config.Config;

import java.util.List;

/**
 * What header and body inspection reads: the tables of {@code <prefix>header_checks},
 * {@code <prefix>mime_header_checks}, {@code <prefix>nested_header_checks} and
 * {@code <prefix>body_checks} (prefix "" for cleanup, "smtp_" for the SMTP client, as Postfix
 * names them) and the limits. Table specs only: {@link ContentChecks} opens them, so two settings
 * read from the same main.cf are equal and a reload that changes nothing here keeps its user as
 * it is.
 */
public record ContentCheckSettings(String prefix, List<String> header, List<String> mime, List<String> nested,
                                   List<String> body, long bodySizeLimit, boolean mimeProcessing, int nestingLimit,
                                   int boundaryLimit, int lineLengthLimit, long headerSizeLimit) {
    /** No tables: content passes untouched, at no cost. */
    public static final ContentCheckSettings NONE = new ContentCheckSettings("", List.of(), List.of(), List.of(),
            List.of(), 51200, true, 100, 2048, 2048, 102400);

    public ContentCheckSettings {
        header = List.copyOf(header);
        mime = List.copyOf(mime);
        nested = List.copyOf(nested);
        body = List.copyOf(body);
    }

    /** cleanup's: header_checks, mime_header_checks, nested_header_checks, body_checks. */
    public static ContentCheckSettings from(Config c) {
        return from(c, "");
    }

    /** With the table parameters named {@code prefix + "header_checks"} and so on. */
    public static ContentCheckSettings from(Config c, String prefix) {
        return new ContentCheckSettings(prefix, c.list(prefix + "header_checks"), c.list(prefix + "mime_header_checks"),
                c.list(prefix + "nested_header_checks"), c.list(prefix + "body_checks"), c.size("body_checks_size_limit"),
                !c.bool("disable_mime_input_processing"), c.integer("mime_nesting_limit"),
                c.integer("mime_boundary_length_limit"), c.integer("line_length_limit"), c.size("header_size_limit"));
    }

    /** True when no table is configured: nothing to inspect. */
    public boolean isEmpty() {
        return header.isEmpty() && mime.isEmpty() && nested.isEmpty() && body.isEmpty();
    }
}
