package dev.postern.checks;

import dev.postern.maps.TableList;

/**
 * The opened tables of {@link ContentCheckSettings}, shared by every message of their user (one
 * cleanup, one SMTP client). A table edited on disk is re-read by the table itself (no reload needed).
 */
public final class ContentChecks {
    public static final ContentChecks NONE = new ContentChecks(ContentCheckSettings.NONE, null, null, null, null);

    final ContentCheckSettings settings;
    /** Null when the parameter names no table. */
    final TableList header;
    final TableList mime;
    final TableList nested;
    final TableList body;

    private ContentChecks(ContentCheckSettings settings, TableList header, TableList mime, TableList nested,
                          TableList body) {
        this.settings = settings;
        this.header = header;
        this.mime = mime;
        this.nested = nested;
        this.body = body;
    }

    /** @throws IllegalArgumentException naming the parameter and the table that cannot be opened */
    public static ContentChecks open(ContentCheckSettings s) {
        if (s.isEmpty()) {
            return NONE;
        }
        String p = s.prefix();
        return new ContentChecks(s, open(p + "header_checks", s.header()), open(p + "mime_header_checks", s.mime()),
                open(p + "nested_header_checks", s.nested()), open(p + "body_checks", s.body()));
    }

    /** Tables already open (null: none for that class), e.g. one list for every class ({@code postern map -h -b}). */
    public static ContentChecks of(ContentCheckSettings s, TableList header, TableList mime, TableList nested, TableList body) {
        return new ContentChecks(s, header, mime, nested, body);
    }

    private static TableList open(String parameter, java.util.List<String> specs) {
        return specs.isEmpty() ? null : TableList.open(parameter, specs);
    }

    /** Tables that cannot answer now, one warning each. */
    public java.util.List<String> unavailable() {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (TableList t : new TableList[] {header, mime, nested, body}) {
            if (t != null) {
                t.unavailable().forEach(w -> out.add(w.replace("mail that needs this table is deferred until it can be read",
                        "mail is answered 451 4.3.0 until it can be read")));
            }
        }
        return out;
    }

    public boolean isEmpty() {
        return header == null && mime == null && nested == null && body == null;
    }

    /** Postfix's cleanup_header_callback(): the table for a header of this class. */
    TableList forHeader(HeaderClass c) {
        return switch (c) {
            case PRIMARY -> header;
            case MIME -> mime;
            case NESTED -> nested;
        };
    }

    /** Which header table applies (Postfix's MIME_HDR_PRIMARY, _MULTIPART, _NESTED). */
    enum HeaderClass {
        /** The message's own header (header_checks). */
        PRIMARY,
        /** A MIME header: Content-*, MIME-Version anywhere, or any header of a multipart body part (mime_header_checks). */
        MIME,
        /** The header of an attached message/rfc822 (nested_header_checks). */
        NESTED
    }
}
