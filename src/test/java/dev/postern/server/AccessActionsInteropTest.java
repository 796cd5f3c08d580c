package dev.postern.server;

import dev.postern.testing.InteropLog;
import dev.postern.testing.MailLogFile;
import dev.postern.testing.PostfixInstance;
import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * access(5) HOLD, DISCARD, REDIRECT, BCC, PREPEND, HANGUP, INFO and WARN against real Postfix
 * (Debian's): the same table and dialogs; Postern must give the same replies, log the same smtpd
 * lines (queue IDs and the client's name aside: Postfix's smtpd log_whatsup() format, and the
 * disconnect line's command counts) and put the held message in its hold queue, as Postfix does.
 */
class AccessActionsInteropTest {
    @TempDir
    Path dir;

    private static final String TABLE = String.join("\n",
            "held@dest.example HOLD",
            "quiet@dest.example HOLD kept for review",
            "trap@dest.example DISCARD spam trap",
            "moved@dest.example REDIRECT catcher@dest.example",
            "copied@dest.example BCC archive@dest.example",
            "tagged@dest.example PREPEND X-Policy: tagged",
            "noted@dest.example INFO looked at",
            "odd@dest.example WARN odd one",
            "broken@dest.example REDIRECT nowhere",
            "hang@dest.example HANGUP bye", "");

    /** Dialogs: RCPT TO addresses; DATA follows when the last is not "hang". */
    private static final List<List<String>> DIALOGS = List.of(
            List.of("plain@dest.example", "quiet@dest.example", "held@dest.example"),
            List.of("held@dest.example"),
            List.of("trap@dest.example", "someone@else.example", "plain@dest.example"),
            List.of("moved@dest.example", "copied@dest.example", "tagged@dest.example"),
            List.of("noted@dest.example", "odd@dest.example", "broken@dest.example"),
            List.of("plain@dest.example", "hang@dest.example"));

    @Test
    void posternTakesEachActionAsPostfixDoes() throws Exception {
        Path table = dir.resolve("access");
        Files.writeString(table, TABLE);
        Map<String, String> common = new LinkedHashMap<>();
        common.put("smtpd_recipient_restrictions", "check_recipient_access texthash:" + table + ", permit_mynetworks, reject");

        List<String> postfixReplies;
        List<String> postfixLog;
        long postfixHeld;
        try (PostfixInstance pf = PostfixInstance.start(dir.resolve("postfix"), common)) {
            postfixReplies = run(new InetSocketAddress("127.0.0.1", pf.smtpPort()),
                    n -> pf.awaitLog(InteropLog.disconnects(n), Duration.ofSeconds(30)));
            pf.awaitLog(InteropLog.disconnects(DIALOGS.size()), Duration.ofSeconds(30));
            postfixLog = smtpdLines(pf.log());
            postfixHeld = count(dir.resolve("postfix/queue/hold"));
        }

        Path pn = InteropPostern.configure(dir.resolve("postern"), "[127.0.0.1]:9", common);
        List<String> posternReplies;
        List<String> posternLog;
        try (Server s = Server.start(Server.plan(pn), new ByteArrayOutputStream())) {
            posternReplies = run(s.addresses().get(0),
                    n -> MailLogFile.await(pn.resolve("maillog"), InteropLog.disconnects(n), Duration.ofSeconds(30)));
            String log = MailLogFile.await(pn.resolve("maillog"), InteropLog.disconnects(DIALOGS.size()), Duration.ofSeconds(30));
            posternLog = smtpdLines(log);
            assertEquals(postfixHeld, count(pn.resolve("queue/hold")), "held messages");
        }
        assertEquals(2, postfixHeld, "the dialogs must hold mail: " + postfixLog);
        assertEquals(postfixReplies, posternReplies);
        assertTrue(postfixLog.stream().anyMatch(l -> l.contains(": discard: ")), postfixLog.toString());
        assertEquals(String.join("\n", postfixLog), String.join("\n", posternLog));
    }

    /** Waits until the server logged this many dialogs' disconnect lines. */
    private interface Disconnects {
        void await(int n) throws Exception;
    }

    /**
     * The dialogs, one after the other: each waits for the previous one's disconnect line, so the
     * two logs compare line by line (a session's disconnect line may otherwise come after the next
     * session's first lines: Postern logs it on the event loop when the connection closes).
     */
    private static List<String> run(InetSocketAddress server, Disconnects disconnects) throws Exception {
        List<String> replies = new ArrayList<>();
        int done = 0;
        for (List<String> rcpts : DIALOGS) {
            if (done > 0) {
                disconnects.await(done);
            }
            done++;
            try (SmtpTestClient c = new SmtpTestClient(server)) {
                c.reply();
                c.command("EHLO client.example");
                replies.add(c.command("MAIL FROM:<alice@client.example>"));
                for (String r : rcpts) {
                    replies.add(r + ": " + c.command("RCPT TO:<" + r + ">"));
                }
                if (rcpts.get(rcpts.size() - 1).startsWith("hang")) {
                    continue;
                }
                replies.add(c.command("DATA"));
                String end = c.command("Subject: interop\r\n\r\nbody\r\n.");
                replies.add(end.replaceAll("queued as \\S+", "queued as QID"));
                replies.add(c.command("QUIT"));
            }
        }
        return replies;
    }

    /** smtpd's action, warning and disconnect lines, without time, host, pid, queue ID and client name. */
    private static List<String> smtpdLines(String log) {
        List<String> out = new ArrayList<>();
        for (String text : InteropLog.lines(log, "smtpd")) {
            if (text.matches("(QID|NOQUEUE): (hold|discard|redirect|bcc|hangup|info|warn): .*")
                    || text.startsWith("warning: access table") || text.matches("disconnect from CLIENT ehlo=.*")) {
                out.add(text.replace(tablePathOf(text), "TABLE"));
            }
        }
        return out;
    }

    private static String tablePathOf(String text) {
        var m = Pattern.compile("texthash:\\S+").matcher(text);
        return m.find() ? m.group() : "\u0000";
    }

    private static long count(Path d) throws IOException {
        if (!Files.isDirectory(d)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(d)) {
            return s.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().startsWith(".")).count();
        }
    }
}
