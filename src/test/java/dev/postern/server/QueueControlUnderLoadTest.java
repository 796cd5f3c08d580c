package dev.postern.server;

import dev.postern.cli.Main;
import dev.postern.testing.ReservedPort;
import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code postern queue} against a running daemon while a client keeps sending: listings, hold,
 * delete and release race with the queue manager's own renames. Afterwards every acknowledged
 * message was either delivered (exactly once) or deleted by a command, never both, never neither.
 */
class QueueControlUnderLoadTest {
    private static final Pattern RECEIVED_ID = Pattern.compile("with \\S+ id ([0-9A-F]+)");
    private static final Pattern JSON_ID = Pattern.compile("^\\{\"queue_name\": \"(\\w+)\", \"queue_id\": \"([0-9A-F]+)\"");

    @TempDir
    Path dir;
    @AutoClose
    private final ReservedPort reservedSubmission = ReservedPort.reserve();
    @AutoClose
    private final ReservedPort reservedNextHop = ReservedPort.reserve();

    private record Run(int code, String out, String err) {
    }

    private Run postern(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> all = new ArrayList<>(List.of("-c", dir.toString(), "queue"));
        all.addAll(List.of(args));
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), all.toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }

    private static List<String> idsDone(Run r, String verb) {
        List<String> ids = new ArrayList<>();
        for (String line : r.out().split("\n")) {
            if (line.endsWith(": " + verb)) {
                ids.add(line.substring(0, line.indexOf(':')));
            }
        }
        return ids;
    }

    @Test
    void holdDeleteReleaseAndListWhileMailFlowsLoseAndDuplicateNothing() throws Exception {
        int submission = reservedSubmission.port();
        int nextHop = reservedNextHop.port(); // nothing listens there yet: mail is deferred and stays in the queue
        Files.writeString(dir.resolve("main.cf"), "myhostname = mx.postern.test\nmynetworks = 127.0.0.0/8\n"
                + "queue_directory = " + dir.resolve("queue") + "\nmaillog_file = " + dir.resolve("maillog") + "\n"
                + "relayhost = [127.0.0.1]:" + nextHop + "\nsmtp_tls_security_level = none\n"
                + "minimal_backoff_time = 1s\nmaximal_backoff_time = 2s\nqueue_run_delay = 1s\n");
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:" + submission + " inet n - n - - smtpd\n"
                + "  -o smtpd_recipient_restrictions=permit_mynetworks,reject\n");
        Set<String> acked = ConcurrentHashMap.newKeySet();
        Set<String> deleted = new HashSet<>();
        AtomicBoolean stop = new AtomicBoolean();
        Server server = Server.start(Server.plan(dir), new ByteArrayOutputStream());
        RecordingSink sink = null;
        Thread sender = new Thread(() -> send(new InetSocketAddress("127.0.0.1", submission), acked, stop), "queue-load");
        try {
            sender.start();
            int held = 0;
            int pendingSeen = 0;
            for (int round = 0; round < 12; round++) {
                int before = acked.size();
                CrashLoopTest.awaitCondition(() -> acked.size() >= before + 5, Duration.ofSeconds(30), "more mail");
                Run json = postern("-j");
                assertEquals(0, json.code(), json.err());
                List<String> candidates = new ArrayList<>();
                for (String line : json.out().split("\n")) {
                    Matcher m = JSON_ID.matcher(line);
                    assertTrue(line.isEmpty() || m.find(), "a JSON line as postqueue -j: " + line);
                    if (!line.isEmpty() && !m.group(1).equals("hold") && candidates.size() < 6) {
                        candidates.add(m.group(2));
                    }
                }
                Run plain = postern();
                assertEquals(0, plain.code(), plain.err());
                assertTrue(plain.out().contains(" Request") || plain.out().contains("Mail queue is empty"), plain.out());
                if (candidates.isEmpty()) {
                    continue;
                }
                List<String> args = new ArrayList<>(List.of("hold"));
                args.addAll(candidates);
                Run hold = postern(args.toArray(String[]::new));
                List<String> nowHeld = idsDone(hold, "placed on hold");
                pendingSeen += hold.out().split("being delivered", -1).length - 1;
                held += nowHeld.size();
                for (int i = 0; i < nowHeld.size(); i++) {
                    String id = nowHeld.get(i);
                    if (i % 2 == 0) {
                        Run del = postern("delete", id);
                        assertEquals(List.of(id), idsDone(del, "removed"), del.out() + del.err());
                        deleted.add(id);
                    } else {
                        Run rel = postern("release", id);
                        assertEquals(List.of(id), idsDone(rel, "released from hold"), rel.out() + rel.err());
                    }
                }
            }
            stop.set(true);
            sender.join(30_000);
            assertTrue(held > 0, "the commands had something to act on");
            // Whatever a request left on hold (a message that was being delivered) is released too.
            postern("release", "ALL");
            sink = RecordingSink.start(nextHop);
            Run flush = postern("flush");
            assertEquals(0, flush.code(), flush.err());
            Set<String> expected = new HashSet<>(acked);
            expected.removeAll(deleted);
            Map<String, Integer> delivered = new HashMap<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (System.nanoTime() < deadline && !(delivered.keySet().containsAll(expected) && CrashLoopTest.queueEmpty(dir.resolve("queue")))) {
                RecordingSink.Message m = sink.take(1);
                if (m != null) {
                    Matcher id = RECEIVED_ID.matcher(m.data());
                    delivered.merge(id.find() ? id.group(1) : "?", 1, Integer::sum);
                }
            }
            Set<String> lost = new HashSet<>(expected);
            lost.removeAll(delivered.keySet());
            assertEquals(Set.of(), lost, "acknowledged, not deleted, not delivered");
            Set<String> both = new HashSet<>(deleted);
            both.retainAll(delivered.keySet());
            assertEquals(Set.of(), both, "deleted by a command and delivered all the same");
            assertTrue(acked.containsAll(deleted), "deleted IDs are acknowledged messages");
            assertEquals(Map.of(), delivered.entrySet().stream().filter(e -> e.getValue() > 1)
                    .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)), "delivered twice");
            assertTrue(delivered.keySet().stream().allMatch(acked::contains), "only acknowledged mail arrives: " + delivered.keySet());
            System.out.printf("QueueControlUnderLoadTest: %d acknowledged, %d held, %d deleted, %d delivered, %d hold requests left for active messages%n",
                    acked.size(), held, deleted.size(), delivered.size(), pendingSeen);
        } finally {
            stop.set(true);
            server.close();
            if (sink != null) {
                sink.close();
            }
        }
    }

    private static void send(InetSocketAddress address, Set<String> acked, AtomicBoolean stop) {
        int n = 0;
        while (!stop.get()) {
            try (SmtpTestClient c = new SmtpTestClient(address)) {
                c.reply();
                c.command("EHLO load.test");
                for (int i = 0; i < 10 && !stop.get(); i++) {
                    c.command("MAIL FROM:<load@load.test>");
                    c.command("RCPT TO:<rcpt@remote.example>");
                    c.command("DATA");
                    String r = c.command("Subject: queue-load-" + (n++) + "\r\n\r\nbody\r\n.");
                    if (r != null && r.startsWith("250 2.0.0 Ok: queued as ")) {
                        acked.add(r.substring(r.lastIndexOf(' ') + 1));
                    }
                }
            } catch (Exception e) {
                throw new AssertionError("the daemon refused the load", e);
            }
        }
    }
}
