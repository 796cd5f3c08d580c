package dev.postern.cleanup;

import dev.postern.config.Config;

import java.util.List;

/**
 * What header and body inspection reads (Postfix's cleanup: header_checks, mime_header_checks,
 * nested_header_checks, body_checks and their limits). Table specs only: {@link ContentChecks}
 * opens them, so two settings read from the same main.cf are equal and a reload that changes
 * nothing here keeps cleanup as it is.
 */
public record ContentCheckSettings(List<String> header, List<String> mime, List<String> nested, List<String> body,
                                   long bodySizeLimit, boolean mimeProcessing, int nestingLimit, int boundaryLimit,
                                   int lineLengthLimit, long headerSizeLimit) {
    /** No tables: content passes through cleanup untouched, at no cost. */
    public static final ContentCheckSettings NONE = new ContentCheckSettings(List.of(), List.of(), List.of(), List.of(),
            51200, true, 100, 2048, 2048, 102400);

    public ContentCheckSettings {
        header = List.copyOf(header);
        mime = List.copyOf(mime);
        nested = List.copyOf(nested);
        body = List.copyOf(body);
    }

    public static ContentCheckSettings from(Config c) {
        return new ContentCheckSettings(c.list("header_checks"), c.list("mime_header_checks"),
                c.list("nested_header_checks"), c.list("body_checks"), c.size("body_checks_size_limit"),
                !c.bool("disable_mime_input_processing"), c.integer("mime_nesting_limit"),
                c.integer("mime_boundary_length_limit"), c.integer("line_length_limit"), c.size("header_size_limit"));
    }

    /** True when no table is configured: nothing to inspect. */
    public boolean isEmpty() {
        return header.isEmpty() && mime.isEmpty() && nested.isEmpty() && body.isEmpty();
    }
}
