package dev.postern.cli;

import dev.postern.checks.CheckActions;
import dev.postern.checks.ContentCheckSettings;
import dev.postern.checks.ContentChecks;
import dev.postern.checks.ContentInspector;
import dev.postern.maps.LookupException;
import dev.postern.maps.LookupTable;
import dev.postern.maps.Maps;
import dev.postern.maps.TableList;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * {@code postern map -q - TABLE...}, as postmap's: each line of stdin is a key, and each key a
 * table knows is printed as {@code key<TAB>value} (the first table that knows it). With -h and/or
 * -b, stdin is a message: its logical headers and/or body lines are the keys, cut and joined as
 * header_checks and body_checks see them (the same {@link ContentInspector}), with -m following
 * its MIME structure. Exit status 0 when some key was found, 1 when none was.
 */
final class MapQueries {
    private MapQueries() {}

    static int run(List<String> specs, boolean headers, boolean body, boolean mime, InputStream in, PrintWriter out,
                   PrintWriter err) throws IOException, LookupException {
        // Opened one by one, not with TableList.open: its errors start with the list's name, which
        // here would repeat the "postern map: fatal: " that MapCommand prints. The list is named
        // "table" for its lookup failures ("table lookup failure: ..."), as postmap says "table".
        List<LookupTable> opened = new java.util.ArrayList<>();
        for (String spec : specs) {
            opened.add(Maps.open(spec));
        }
        TableList tables = TableList.of("table", opened);
        boolean[] found = {false};
        if (!headers && !body) {
            InputStream buffered = new java.io.BufferedInputStream(in);
            java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
            for (String key = readKey(buffered, line); key != null; key = readKey(buffered, line)) {
                Optional<TableList.Match> m = tables.find(key, false);
                if (m.isPresent()) {
                    out.println(key + "\t" + m.get().value());
                    found[0] = true;
                }
            }
            out.flush();
            return found[0] ? 0 : 1;
        }
        ContentCheckSettings s = new ContentCheckSettings("", List.of(), List.of(), List.of(), List.of(), 0, mime,
                ContentCheckSettings.NONE.nestingLimit(), ContentCheckSettings.NONE.boundaryLimit(),
                ContentCheckSettings.NONE.lineLengthLimit(), ContentCheckSettings.NONE.headerSizeLimit());
        TableList h = headers ? tables : null;
        ContentInspector inspector = new ContentInspector(ContentChecks.of(s, h, h, h, body ? tables : null),
                new CheckActions.Target() {
                    @Override
                    public boolean messageActions() {
                        return false;
                    }

                    @Override
                    public CheckActions.Result matched(String where, String key, String value, String mapClass) {
                        out.println(key + "\t" + value);
                        found[0] = true;
                        return new CheckActions.Result(CheckActions.KEEP, true);
                    }

                    @Override
                    public void lookupFailed(String parameter, LookupException cause) {
                        throw new TableFailure(cause); // postmap_body(): msg_fatal("table ...: query error")
                    }

                    @Override
                    public void warn(String text) {
                        err.println("postern map: warning: " + text);
                    }

                    // never called: matched() takes no action
                    @Override
                    public boolean heldOrDiscarded() {
                        return false;
                    }

                    @Override
                    public void hold() {
                    }

                    @Override
                    public void discard() {
                    }

                    @Override
                    public void filter(String transportAndNexthop) {
                    }

                    @Override
                    public void redirect(dev.postern.mail.MailAddress to) {
                    }

                    @Override
                    public void bcc(dev.postern.mail.MailAddress to) {
                    }

                    @Override
                    public void reject(dev.postern.mail.Reply reply) {
                    }

                    @Override
                    public void log(String action, String where, String content, String text) {
                    }
                });
        byte[] buf = new byte[64 * 1024];
        try {
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                inspector.feed(java.util.Arrays.copyOf(buf, n));
            }
            inspector.finish();
        } catch (TableFailure e) {
            out.flush();
            throw e.cause;
        }
        out.flush();
        return found[0] ? 0 : 1;
    }

    /** Carries a table's failure out of the inspector's walk, to end the command as postmap does. */
    private static final class TableFailure extends RuntimeException {
        final LookupException cause;

        TableFailure(LookupException cause) {
            super(cause.getMessage(), null, false, false);
            this.cause = cause;
        }
    }

    /** postmap's vstring_get_nonl(): a key per LF-terminated line (a CR stays part of it). */
    private static String readKey(InputStream in, java.io.ByteArrayOutputStream line) throws IOException {
        line.reset();
        int b = in.read();
        if (b < 0) {
            return null;
        }
        while (b >= 0 && b != '\n') {
            line.write(b);
            b = in.read();
        }
        byte[] k = line.toByteArray();
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(k)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            return new String(k, StandardCharsets.ISO_8859_1);
        }
    }
}
