package dev.postern.server;

import dev.postern.testing.InteropLog;
import dev.postern.testing.MailLogFile;
import dev.postern.testing.PostfixInstance;
import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * header_checks, mime_header_checks, nested_header_checks and body_checks against real Postfix
 * (Debian's): the same regexp tables, the same limits and the same SMTP sessions, one message
 * each ({@link HeaderChecksInteropCases}), with MIME processing on and off. For each case Postern
 * must give Postfix's reply to the end of DATA, log Postfix's cleanup lines in Postfix's order
 * (and smtpd's disconnect line), hold what Postfix holds, and hand the next hop the same
 * recipients and the same content. One loopback sink is the next hop of both (a FILTER action
 * names its port); each MTA's own Received header is left out of the content.
 *
 * <p>Differences documented as deliberate or unavoidable are applied to Postfix's outcome before
 * the comparison ({@link #discarded}, {@link HeaderChecksInteropCases.Case#postern}); every other
 * difference fails the test, listed case by case as a diff.
 *
 * <p>Lives in the server package because it runs the whole server (smtpd, cleanup, qmgr, smtp)
 * and uses this package's {@link RecordingSink}.
 */
class HeaderChecksInteropTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    /** What one MTA made of one case. */
    private record Outcome(String reply, List<String> log, boolean held, String delivered) {
        @Override
        public String toString() {
            return "reply: " + reply + "\n" + String.join("\n", log) + "\nheld: " + held + "\n"
                    + (delivered == null ? "not delivered" : delivered);
        }
    }

    private interface LogAwait {
        String await(String regex) throws Exception;
    }

    /** Runs every case with MIME processing on (Postfix's default) and off. */
    @ParameterizedTest(name = "disable_mime_input_processing = {0}")
    @ValueSource(strings = {"no", "yes"})
    void posternInspectsContentAsPostfixDoes(String disableMime) throws Exception {
        try (RecordingSink sink = RecordingSink.start()) {
            Map<String, String> common = HeaderChecksInteropCases.tables(dir.resolve("tables"), sink.port());
            common.put("disable_mime_input_processing", disableMime);
            String relayhost = "[127.0.0.1]:" + sink.port();
            Map<String, String> postfixConf = new LinkedHashMap<>(common);
            postfixConf.put("relayhost", relayhost);
            List<Outcome> postfix;
            try (PostfixInstance pf = PostfixInstance.start(dir.resolve("postfix"), postfixConf)) {
                postfix = run(new InetSocketAddress("127.0.0.1", pf.smtpPort()), r -> pf.awaitLog(r, WAIT),
                        dir.resolve("postfix/queue/hold"), sink);
            }
            Path pn = InteropPostern.configure(dir.resolve("postern"), relayhost, common);
            List<Outcome> postern;
            try (Server s = Server.start(Server.plan(pn), new ByteArrayOutputStream())) {
                postern = run(s.addresses().get(0), r -> MailLogFile.await(pn.resolve("maillog"), r, WAIT),
                        pn.resolve("queue/hold"), sink);
            }
            assertTrue(postfix.stream().anyMatch(o -> o.held()), "Postfix must hold a message: " + postfix);
            List<String> differences = new ArrayList<>();
            for (int i = 0; i < HeaderChecksInteropCases.CASES.size(); i++) {
                HeaderChecksInteropCases.Case c = HeaderChecksInteropCases.CASES.get(i);
                String expected = c.postern().apply(discarded(postfix.get(i).toString()));
                String actual = postern.get(i).toString();
                if (!expected.equals(actual)) {
                    differences.add("case " + c.name() + " (-: Postfix, +: Postern):\n" + diff(expected, actual));
                }
            }
            assertTrue(differences.isEmpty(), differences.size() + " case(s) differ:\n" + String.join("\n", differences));
        }
    }

    /**
     * Documented: Postern logs "QID: removed (discarded)" after a DISCARD, as Postfix 3.10 and
     * later do (Debian's 3.7 does not log it).
     */
    private static String discarded(String postfix) {
        return postfix.contains("\nQID: discard: ")
                ? postfix.replaceFirst("\ndisconnect from ", "\nQID: removed (discarded)\ndisconnect from ") : postfix;
    }

    /** The lines of {@code a} and {@code b}, those only in a marked "-", only in b "+" (longest common subsequence). */
    private static String diff(String a, String b) {
        List<String> x = a.lines().toList();
        List<String> y = b.lines().toList();
        int[][] lcs = new int[x.size() + 1][y.size() + 1];
        for (int i = x.size() - 1; i >= 0; i--) {
            for (int j = y.size() - 1; j >= 0; j--) {
                lcs[i][j] = x.get(i).equals(y.get(j)) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        StringBuilder out = new StringBuilder();
        int i = 0;
        int j = 0;
        while (i < x.size() || j < y.size()) {
            if (i < x.size() && j < y.size() && x.get(i).equals(y.get(j))) {
                out.append("  ").append(x.get(i++)).append('\n');
                j++;
            } else if (i < x.size() && (j == y.size() || lcs[i + 1][j] >= lcs[i][j + 1])) {
                out.append("- ").append(x.get(i++)).append('\n');
            } else {
                out.append("+ ").append(y.get(j++)).append('\n');
            }
        }
        return out.toString();
    }

    /**
     * The cases one after the other, each waiting for the previous session's disconnect line, so
     * each case's cleanup lines lie between its predecessor's disconnect line and its own; then
     * waits until every accepted message was delivered, held or discarded.
     */
    private static List<Outcome> run(InetSocketAddress server, LogAwait log, Path hold, RecordingSink sink) throws Exception {
        List<String> replies = new ArrayList<>();
        List<String> slices = new ArrayList<>();
        int cut = 0;
        for (HeaderChecksInteropCases.Case c : HeaderChecksInteropCases.CASES) {
            replies.add(send(server, c));
            String text = log.await(InteropLog.disconnects(slices.size() + 1));
            Matcher m = Pattern.compile(InteropLog.disconnects(slices.size() + 1)).matcher(text);
            if (!m.find()) {
                throw new AssertionError("no whole disconnect line yet:\n" + text);
            }
            slices.add(text.substring(cut, m.end()));
            cut = m.end();
        }
        for (String reply : replies) {
            Matcher q = Pattern.compile("queued as (\\S+)").matcher(reply);
            if (q.find()) {
                log.await("(?m)^.*: " + q.group(1) + ": (removed|hold: |discard: )");
            }
        }
        Map<String, String> delivered = delivered(sink);
        List<Outcome> out = new ArrayList<>();
        for (int i = 0; i < replies.size(); i++) {
            Matcher q = Pattern.compile("queued as (\\S+)").matcher(replies.get(i));
            boolean held = q.find() && Files.exists(hold.resolve(q.group(1)));
            out.add(new Outcome(replies.get(i).replaceAll("queued as \\S+", "queued as QID"), lines(slices.get(i)), held,
                    delivered.remove(HeaderChecksInteropCases.CASES.get(i).messageId())));
        }
        if (!delivered.isEmpty()) {
            throw new AssertionError("delivered, but by no case: " + delivered);
        }
        return out;
    }

    private static String send(InetSocketAddress server, HeaderChecksInteropCases.Case c) throws Exception {
        try (SmtpTestClient client = new SmtpTestClient(server)) {
            client.reply();
            client.command("EHLO " + c.helo());
            List<String> commands = new ArrayList<>(List.of("MAIL FROM:<alice@client.example>"));
            c.rcpts().forEach(r -> commands.add("RCPT TO:<" + r + ">"));
            commands.add("DATA");
            for (String command : commands) {
                String r = client.command(command);
                if (!r.startsWith("2") && !r.startsWith("3")) {
                    return command + ": " + r;
                }
            }
            // As UTF-8 bytes (sendRaw sends each char as one byte); each LF as CRLF, so "\r\n" goes as CR CR LF.
            client.sendRaw(new String(c.message().replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
            String reply = client.command(".");
            client.command("QUIT");
            return reply;
        }
    }

    /**
     * The Received header an MTA adds names the MTA, its host and queue ID and the time: a check
     * that logs it shows them as MTA, HOST, QID and DATE. (The dates differ in form too: Postfix
     * pads the day of the month with a space, "Thu,  3 Dec 2026", Postern does not.)
     */
    private static final Pattern OWN_RECEIVED = Pattern.compile(
            "(header Received: from \\S+ \\(\\S+ \\[127\\.0\\.0\\.1]\\)\\?\\?by )\\S+ \\((?:Postfix|Postern)\\) with ESMTP id \\S+(\\?\\?for <[^>]*>;) .*?( from CLIENT;)");

    /** A Message-Id cleanup made (both MTAs: time, queue ID, host), in logs and content as ADDED-ID. */
    private static final Pattern ADDED_ID = Pattern.compile("<\\d{14}\\.[0-9A-Z]+@[\\w.-]+>");

    /** cleanup's lines and smtpd's disconnect line. */
    private static List<String> lines(String slice) {
        List<String> out = new ArrayList<>();
        InteropLog.lines(slice, "cleanup").forEach(l -> out.add(ADDED_ID.matcher(OWN_RECEIVED.matcher(l)
                .replaceFirst("$1HOST (MTA) with ESMTP id QID$2 DATE$3")).replaceAll("<ADDED-ID>")));
        InteropLog.lines(slice, "smtpd").stream().filter(l -> l.startsWith("disconnect from CLIENT ehlo=")).forEach(out::add);
        return out;
    }

    /**
     * What reached the sink, by Message-ID: the recipients of all its transactions and the content
     * without the first header when it is a Received header (the delivering MTA's own), with the
     * value of a Resent-Date header Postfix adds as DATE.
     */
    private static Map<String, String> delivered(RecordingSink sink) throws Exception {
        Map<String, TreeSet<String>> rcpts = new HashMap<>();
        Map<String, String> content = new HashMap<>();
        for (RecordingSink.Message m; (m = sink.take(0)) != null; ) {
            String data = m.data().replaceFirst("^Received: [^\\r]*\\r\\n(?:[ \\t][^\\r]*\\r\\n)*", "")
                    .replaceAll("(?m)^Resent-Date: [^\\r]*", "Resent-Date: DATE");
            data = ADDED_ID.matcher(data).replaceAll("<ADDED-ID>");
            Matcher id = Pattern.compile("(?mi)^Message-ID: *(\\S+)").matcher(data.substring(0, Math.max(0, data.indexOf("\r\n\r\n"))));
            String key = id.find() ? id.group(1) : data;
            rcpts.computeIfAbsent(key, k -> new TreeSet<>()).addAll(m.rcptTo());
            String before = content.put(key, data);
            if (before != null && !before.equals(data)) {
                throw new AssertionError("two copies of " + key + " differ:\n" + before + "\n---\n" + data);
            }
        }
        Map<String, String> out = new HashMap<>();
        content.forEach((k, v) -> out.put(k, "delivered to " + rcpts.get(k) + ":\n" + v));
        return out;
    }
}
