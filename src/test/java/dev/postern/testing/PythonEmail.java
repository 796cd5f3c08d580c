package dev.postern.testing;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses a message with python3's {@code email} package, a MIME parser nobody here wrote, and
 * returns what it saw as flat keys: {@code content-type}, {@code report-type}, {@code parts},
 * {@code defects}, {@code from}, {@code subject}, {@code msg.<field>} for the per-message DSN
 * fields, {@code rcptN.<field>} for each recipient block, {@code original.subject},
 * {@code headers.subject} (text/rfc822-headers) and {@code text} (the human-readable part).
 * A missing python3 skips locally and fails under CI (see {@link Peers}).
 */
public final class PythonEmail {
    private PythonEmail() {}

    private static final String SCRIPT = String.join("\n",
            "import sys, email",
            "from email import policy",
            "m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.compat32)",
            "def out(k, v): print(k + '=' + ' '.join(str(v).split()))",
            "out('content-type', m.get_content_type())",
            "out('report-type', m.get_param('report-type'))",
            "out('from', m['From']); out('to', m['To']); out('subject', m['Subject'])",
            "out('auto-submitted', m['Auto-Submitted'])",
            "parts = m.get_payload() if m.is_multipart() else []",
            "out('defects', len(m.defects) + sum(len(p.defects) for p in parts))",
            "out('parts', ','.join(p.get_content_type() for p in parts))",
            "for p in parts:",
            "    t = p.get_content_type()",
            "    if t == 'text/plain': out('text', p.get_payload())",
            "    if t == 'message/delivery-status':",
            "        blocks = p.get_payload()",
            "        for k, v in blocks[0].items(): out('msg.' + k, v)",
            "        for i, b in enumerate(blocks[1:]):",
            "            for k, v in b.items(): out('rcpt%d.%s' % (i, k), v)",
            "    if t == 'message/rfc822': out('original.subject', p.get_payload()[0]['Subject'])",
            "    if t == 'text/rfc822-headers':",
            "        h = email.message_from_string(p.get_payload())",
            "        out('headers.subject', h['Subject'])",
            "");

    public static Map<String, String> parse(String message, Path workDir) throws Exception {
        Peers.require("python3", "python3");
        Path file = Files.createTempFile(workDir, "dsn", ".eml");
        Path script = Files.createTempFile(workDir, "parse", ".py");
        Files.write(file, message.getBytes(StandardCharsets.ISO_8859_1));
        Files.writeString(script, SCRIPT);
        Peers.Result r = Peers.run(Duration.ofSeconds(30), null, List.of("python3", script.toString(), file.toString()));
        if (r.exit() != 0) {
            throw new AssertionError("python3 could not parse the message: " + r.err() + "\n" + message);
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : r.out().split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                fields.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return fields;
    }
}
