package dev.postern.server;

import dev.postern.server.AddressRewritingInteropCases.Case;
import dev.postern.server.AddressRewritingInteropCases.Config;
import dev.postern.server.AddressRewritingInteropCases.Service;
import dev.postern.testing.InteropLog;
import dev.postern.testing.MailLogFile;
import dev.postern.testing.PostfixInstance;
import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * cleanup's address rewriting against real Postfix (Debian's 3.7): canonical_maps,
 * sender_canonical_maps, recipient_canonical_maps and their classes, masquerade_domains with
 * exceptions and classes, virtual_alias_maps and virtual_alias_domains,
 * propagate_unmatched_extensions, local_header_rewrite_clients, remote_header_rewrite_domain and
 * receive_override_options = no_address_mappings. The same tables and settings
 * ({@link AddressRewritingInteropCases}) and the same SMTP sessions go to both; for each case
 * Postern must give Postfix's replies (every command's), log Postfix's cleanup lines (and smtpd's
 * rejections), and hand the next hop the same envelope (MAIL FROM, every RCPT TO with the ORCPT
 * Postfix's cleanup records: the sink offers DSN) and the same header block. One loopback sink is
 * the relayhost of both; each MTA's own Received header is left out, and a Date header cleanup
 * added is DATE.
 *
 * <p>Differences documented as deliberate or unavoidable are applied to Postfix's outcome before
 * the comparison ({@link Case#postern}); every other difference fails the test, listed case by
 * case as a diff.
 */
class AddressRewritingInteropTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    /** What one MTA made of one case. */
    private record Outcome(List<String> replies, List<String> log, String delivered) {
        @Override
        public String toString() {
            return String.join("\n", replies) + "\n" + String.join("\n", log) + "\n"
                    + (delivered == null ? "not delivered" : delivered);
        }
    }

    private interface LogAwait {
        String await(String regex) throws Exception;
    }

    static final List<Config> CONFIGS = AddressRewritingInteropCases.CONFIGS;

    @ParameterizedTest(name = "{0}")
    @FieldSource("CONFIGS")
    void posternRewritesAddressesAsPostfixDoes(Config config) throws Exception {
        try (RecordingSink sink = RecordingSink.start()) {
            sink.offerDsn = true;
            Map<String, String> common = AddressRewritingInteropCases.tables(dir.resolve("tables"));
            common.putAll(config.mainCf());
            String relayhost = "[127.0.0.1]:" + sink.port();
            List<String> more = List.of(Service.REMOTE.options, Service.NO_MAPPINGS.options);
            Map<String, String> postfixConf = new LinkedHashMap<>(common);
            postfixConf.put("relayhost", relayhost);
            List<Outcome> postfix;
            try (PostfixInstance pf = PostfixInstance.start(dir.resolve("postfix"), postfixConf, more)) {
                Map<Service, InetSocketAddress> services = Map.of(
                        Service.LOCAL, new InetSocketAddress("127.0.0.1", pf.smtpPort()),
                        Service.REMOTE, new InetSocketAddress("127.0.0.1", pf.morePorts().get(0)),
                        Service.NO_MAPPINGS, new InetSocketAddress("127.0.0.1", pf.morePorts().get(1)));
                try {
                    postfix = run(config, services, r -> pf.awaitLog(r, WAIT), sink);
                } catch (java.net.SocketTimeoutException e) {
                    // Postfix did not answer (seen once under load): its log says why.
                    throw new AssertionError("Postfix did not answer in time; its log:\n" + pf.log(), e);
                }
            }
            Path pn = InteropPostern.configure(dir.resolve("postern"), relayhost, common);
            StringBuilder master = new StringBuilder();
            for (Service s : Service.values()) {
                master.append("127.0.0.1:0 inet n - n - - smtpd ").append(s.options).append('\n');
            }
            Files.writeString(pn.resolve("master.cf"), master.toString());
            List<Outcome> postern;
            try (Server s = Server.start(Server.plan(pn), new ByteArrayOutputStream())) {
                Map<Service, InetSocketAddress> services = new HashMap<>();
                for (Service service : Service.values()) {
                    services.put(service, s.addresses().get(service.ordinal()));
                }
                postern = run(config, services, r -> MailLogFile.await(pn.resolve("maillog"), r, WAIT), sink);
            }
            List<String> differences = new ArrayList<>();
            for (int i = 0; i <= config.cases().size(); i++) {
                Case c = i < config.cases().size() ? config.cases().get(i)
                        : new Case("(none)", Service.LOCAL, "", List.of(), "");
                String expected = c.postern().apply(postfix.get(i).toString());
                String actual = postern.get(i).toString();
                if (!expected.equals(actual)) {
                    differences.add("case " + c.name() + " (-: Postfix, +: Postern):\n" + diff(expected, actual));
                }
            }
            assertTrue(differences.isEmpty(), differences.size() + " of " + config.cases().size() + " case(s) differ:\n"
                    + String.join("\n", differences));
        }
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

    private static final Pattern QUEUED = Pattern.compile("queued as (\\S+)");

    /**
     * The cases one after the other, each waiting for the previous session's disconnect line, so
     * each case's log lines lie between its predecessor's disconnect line and its own; then waits
     * until every accepted message left the queue.
     */
    private static List<Outcome> run(Config config, Map<Service, InetSocketAddress> services, LogAwait log,
                                     RecordingSink sink) throws Exception {
        List<List<String>> replies = new ArrayList<>();
        List<String> slices = new ArrayList<>();
        int cut = 0;
        for (Case c : config.cases()) {
            replies.add(send(services.get(c.service()), c));
            String text = log.await(InteropLog.disconnects(slices.size() + 1));
            Matcher m = Pattern.compile(InteropLog.disconnects(slices.size() + 1)).matcher(text);
            if (!m.find()) {
                throw new AssertionError("no whole disconnect line yet:\n" + text);
            }
            slices.add(text.substring(cut, m.end()));
            cut = m.end();
        }
        for (List<String> r : replies) {
            Matcher q = QUEUED.matcher(r.get(r.size() - 1));
            if (q.find()) {
                log.await("(?m)^.*: " + q.group(1) + ": removed");
            }
        }
        Map<String, String> delivered = delivered(sink);
        List<Outcome> out = new ArrayList<>();
        for (int i = 0; i < replies.size(); i++) {
            List<String> r = replies.get(i).stream().map(l -> QUEUED.matcher(l).replaceAll("queued as QID")).toList();
            out.add(new Outcome(r, lines(slices.get(i)), delivered.remove(config.cases().get(i).messageId())));
        }
        // What no case sent (a bounce cleanup or qmgr made): compared as one more outcome.
        out.add(new Outcome(List.of("delivered by no case:"), List.of(),
                delivered.values().stream().map(AddressRewritingInteropTest::generated).sorted().collect(Collectors.joining("\n"))));
        return out;
    }

    /** A message the MTA made itself (a bounce): its envelope and Subject only. */
    private static String generated(String delivered) {
        // Postfix's bounce says BODY=8BITMIME (its bounce is 8bit), Postern's does not: not address rewriting.
        return delivered.lines().filter(l -> l.startsWith("MAIL FROM:") || l.startsWith("RCPT TO:") || l.startsWith("Subject:"))
                .map(l -> l.replace(" BODY=8BITMIME", "")).collect(Collectors.joining("\n"));
    }

    /** Each command after EHLO with its reply, the end of DATA last. */
    private static List<String> send(InetSocketAddress server, Case c) throws Exception {
        List<String> out = new ArrayList<>();
        try (SmtpTestClient client = new SmtpTestClient(server)) {
            client.reply();
            client.command("EHLO client.example");
            List<String> commands = new ArrayList<>(List.of("MAIL FROM:<" + c.from() + ">"));
            c.rcpts().forEach(r -> commands.add("RCPT TO:<" + r + ">"));
            commands.add("DATA");
            for (String command : commands) {
                String r = client.command(command);
                out.add(command + ": " + r);
                if (command.startsWith("MAIL") && !r.startsWith("2") || command.equals("DATA") && !r.startsWith("3")) {
                    client.command("QUIT");
                    return out;
                }
            }
            client.sendRaw(c.message().replace("\n", "\r\n"));
            out.add("end of data: " + client.command("."));
            client.command("QUIT");
            return out;
        }
    }

    /**
     * Postfix's main.cf warning for a config that sets compatibility_level: the test's own line
     * overrides the one PostfixInstance writes first (Postern does not warn about a repeated name).
     */
    private static final Pattern OVERRIDDEN_LEVEL = Pattern.compile(
            "warning: \\S+/main\\.cf, line \\d+: overriding earlier entry: compatibility_level=3\\.6");

    private static final Pattern WARNING_QID = Pattern.compile("^warning: [0-9A-Za-z]{6,}: ");

    /** A Message-Id cleanup made (both MTAs: time, queue ID, host), in logs and content as ADDED-ID. */
    private static final Pattern ADDED_ID = Pattern.compile("<\\d{14}\\.[0-9A-Z]+@mx\\.rw\\.test>");

    /**
     * cleanup's lines and smtpd's rejections; not the message-id line of a message the MTA made
     * itself (a bounce: every case's message has its own Message-ID), which falls in whichever
     * case's slice the bounce happens to be made.
     */
    private static List<String> lines(String slice) {
        List<String> out = new ArrayList<>();
        InteropLog.lines(slice, "cleanup").stream().filter(l -> !l.matches("QID: message-id=<\\d{14}\\.[0-9A-Z]+@mx\\.rw\\.test>"))
                .filter(l -> !OVERRIDDEN_LEVEL.matcher(l).matches())
                .forEach(l -> out.add(ADDED_ID.matcher(WARNING_QID.matcher(l).replaceFirst("warning: QID: ")).replaceAll("<ADDED-ID>")));
        InteropLog.lines(slice, "smtpd").stream().filter(l -> l.startsWith("NOQUEUE: reject: ")).forEach(out::add);
        return out;
    }

    /**
     * What reached the sink, by Message-ID: each transaction's MAIL FROM and RCPT TO lines (the
     * transactions sorted) and the header block without its first header when that is a Received
     * header (the delivering MTA's own), a Date header's value as DATE.
     */
    private static Map<String, String> delivered(RecordingSink sink) throws Exception {
        Map<String, List<String>> envelopes = new HashMap<>();
        Map<String, String> headers = new HashMap<>();
        for (RecordingSink.Message m; (m = sink.take(0)) != null; ) {
            String data = m.data();
            String header = data.substring(0, Math.max(0, data.indexOf("\r\n\r\n") + 2))
                    .replaceFirst("^Received: [^\\r]*\\r\\n(?:[ \\t][^\\r]*\\r\\n)*", "")
                    .replaceAll("(?m)^(Resent-)?Date: [^\\r]*", "$1Date: DATE")
                    .replace("\r\n", "\n");
            header = ADDED_ID.matcher(header).replaceAll("<ADDED-ID>");
            Matcher id = Pattern.compile("(?mi)^Message-ID: *(\\S+)").matcher(header);
            String key = id.find() ? id.group(1) : header;
            // qmgr's order of a transaction's recipients says nothing about rewriting: sorted
            envelopes.computeIfAbsent(key, k -> new ArrayList<>()).add("MAIL FROM:" + m.mailFrom() + "\n"
                    + m.rcptTo().stream().map(r -> "RCPT TO:" + r).sorted().collect(Collectors.joining("\n")));
            String before = headers.put(key, header);
            if (before != null && !before.equals(header)) {
                throw new AssertionError("two copies of " + key + " differ:\n" + before + "\n---\n" + header);
            }
        }
        Map<String, String> out = new HashMap<>();
        headers.forEach((k, v) -> out.put(k, envelopes.get(k).stream().sorted().collect(Collectors.joining("\n"))
                + "\n" + v));
        return out;
    }
}
