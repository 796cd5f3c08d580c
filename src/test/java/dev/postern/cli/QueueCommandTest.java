package dev.postern.cli;

import dev.postern.mail.MailAddress;
import dev.postern.mail.QueueId;
import dev.postern.mail.ReversePath;
import dev.postern.queue.QueueEnvelope;
import dev.postern.queue.Spool;
import dev.postern.queue.SpoolWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** postern queue on a stopped system: Postfix's mailq and postqueue -j layouts, show, and the postsuper verbs. */
class QueueCommandTest {
    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    private Run postern(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] all = new String[args.length + 3];
        all[0] = "-c";
        all[1] = dir.toString();
        all[2] = "queue";
        System.arraycopy(args, 0, all, 3, args.length);
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), all);
        return new Run(code, out.toString(), err.toString());
    }

    private Path queued(Spool spool, String sender, byte[] content, String... rcpts) throws Exception {
        QueueId id = QueueId.next();
        SpoolWriter w = new SpoolWriter(spool, id);
        w.begin(new QueueEnvelope(id, Instant.ofEpochSecond(1_764_600_000L), sender.isEmpty() ? ReversePath.NULL
                : ReversePath.of(MailAddress.parse(sender)), "desk[192.0.2.7]", "desk", "ESMTP", false, false,
                java.util.Arrays.stream(rcpts).map(MailAddress::parse).toList()));
        w.write(ByteBuffer.wrap(content));
        w.commit().get(10, TimeUnit.SECONDS);
        return spool.root().resolve("incoming").resolve(id.toString());
    }

    @Test
    void listingsShowEveryQueueWithReasonsAndTheVerbsMoveMail() throws Exception {
        Files.writeString(dir.resolve("main.cf"), "queue_directory = " + dir.resolve("queue") + "\n");
        Files.writeString(dir.resolve("master.cf"), "");
        assertEquals("Mail queue is empty\n", postern().out());
        byte[] content = ("Subject: listed\r\nFrom: a@example.org\r\n\r\n" + "x".repeat(2000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        Path deferred;
        Path active;
        Path held;
        try (Spool spool = Spool.open(dir.resolve("queue"))) {
            Path d = spool.activate(queued(spool, "a@example.org", content, "b@example.net", "c@example.net"));
            deferred = spool.recordDeferral(spool.read(d), Map.of(MailAddress.parse("b@example.net"),
                    "connect to mx.example.net[192.0.2.1]:25: Connection refused"), Instant.now().plusSeconds(3600));
            active = spool.activate(queued(spool, "", content, "d@example.net"));
            held = spool.move(queued(spool, "e@example.org", content, "f@example.net"), Spool.Queue.HOLD);
        }
        String arrival = DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss", Locale.ENGLISH)
                .format(Instant.ofEpochSecond(1_764_600_000L).atZone(ZoneId.systemDefault()));
        long size = content.length;
        String reason = "connect to mx.example.net[192.0.2.1]:25: Connection refused";
        String expected = String.format("%-17s %8s %-19s %s%n", "----Queue ID-----", "--Size--", "---Arrival Time----", "--Sender/Recipient------")
                + String.format("%-17s %8d %s %s%n", active.getFileName() + "*", size, arrival, "MAILER-DAEMON")
                + " ".repeat(47) + "d@example.net\n\n"
                + String.format("%-17s %8d %s %s%n", deferred.getFileName(), size, arrival, "a@example.org")
                + " ".repeat(79 - reason.length() - 2) + "(" + reason + ")\n"
                + " ".repeat(47) + "b@example.net\n"
                + " ".repeat(47) + "c@example.net\n\n"
                + String.format("%-17s %8d %s %s%n", held.getFileName() + "!", size, arrival, "e@example.org")
                + " ".repeat(47) + "f@example.net\n\n"
                + "-- " + (3 * size / 1024) + " Kbytes in 3 Requests.\n";
        assertEquals(expected, postern("-p").out());

        String json = postern("-j").out();
        assertTrue(json.contains("{\"queue_name\": \"deferred\", \"queue_id\": \"" + deferred.getFileName() + "\", \"arrival_time\": 1764600000, \"message_size\": "
                + size + ", \"forced_expire\": false, \"sender\": \"a@example.org\", \"recipients\": [{\"orig_address\": \"b@example.net\", \"address\": \"b@example.net\", \"delay_reason\": \""
                + reason + "\"}, {\"orig_address\": \"c@example.net\", \"address\": \"c@example.net\"}]}\n"), json);
        assertEquals(3, json.lines().count());

        Run show = postern("show", deferred.getFileName().toString());
        assertEquals(0, show.code(), show.err());
        assertTrue(show.out().startsWith("queue: deferred (next attempt "), show.out());
        assertTrue(show.out().contains("sender: <a@example.org>\n"), show.out());
        assertTrue(show.out().contains("  b@example.net: to deliver (last attempt "), show.out());
        assertTrue(show.out().contains(": " + reason + ")\n  c@example.net: to deliver\n"), show.out());
        assertTrue(show.out().contains("headers:\n  Subject: listed\n  From: a@example.org\n"), show.out());

        // postsuper's verbs, on a stopped system.
        Run hold = postern("hold", deferred.getFileName().toString());
        assertEquals(deferred.getFileName() + ": placed on hold\n", hold.out());
        assertTrue(hold.err().contains("postern: Placed on hold: 1 message"), hold.err());
        assertTrue(Files.exists(dir.resolve("queue/hold").resolve(deferred.getFileName())));
        Run release = postern("-H", "ALL");
        assertEquals(0, release.code(), release.err());
        assertTrue(release.err().contains("Released from hold: 2 messages"), release.err());
        Run requeue = postern("requeue", "ALL", "deferred");
        assertTrue(requeue.err().contains("Requeued: 2 messages"), requeue.err());
        assertEquals(2, Files.list(dir.resolve("queue/maildrop")).filter(f -> !f.getFileName().toString().startsWith(".")).count());
        // what a stopped system's pickup has not taken yet is listed from maildrop/, and shown
        Run listed = postern("-p");
        assertTrue(listed.out().contains("a@example.org"), listed.out());
        Run shown = postern("show", deferred.getFileName().toString());
        assertEquals(0, shown.code(), shown.err());
        assertTrue(shown.out().startsWith("queue: maildrop (requeued: pickup submits it again, with a new queue ID)\n"),
                shown.out());
        for (Path p : Files.list(dir.resolve("queue/maildrop")).toList()) { // as if pickup had taken them back
            Files.move(p, dir.resolve("queue/incoming").resolve(p.getFileName()));
        }
        Run active1 = postern("-d", active.getFileName().toString());
        assertTrue(active1.out().contains("being delivered"), "an active message is left a request: " + active1.out());
        Run missing = postern("delete", "0123456789ABCD");
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("0123456789ABCD: no such message in the queue"), missing.err());
        Run all = postern("delete", "ALL");
        assertTrue(all.err().contains("Deleted: 2 messages"), all.err());
        Run flush = postern("flush", "-s", "example.net");
        assertEquals(0, flush.code(), flush.err());
        assertEquals(List.of(), List.of(Files.list(dir.resolve("queue/deferred")).toArray()));
    }

    @Test
    void showNamesTheContentFilter() throws Exception {
        Files.writeString(dir.resolve("main.cf"), "queue_directory = " + dir.resolve("queue") + "\n");
        Files.writeString(dir.resolve("master.cf"), "");
        QueueId id = QueueId.next();
        try (Spool spool = Spool.open(dir.resolve("queue"))) {
            SpoolWriter w = new SpoolWriter(spool, id);
            w.begin(new QueueEnvelope(id, Instant.ofEpochSecond(1_764_600_000L), ReversePath.of(MailAddress.parse("a@example.org")),
                    "desk[192.0.2.7]", "desk", "ESMTP", false, false, List.of(MailAddress.parse("b@example.net")),
                    null, null, "smtp-amavis:[127.0.0.1]:10024"));
            w.write(ByteBuffer.wrap("Subject: scan\r\n\r\nx\r\n".getBytes(StandardCharsets.US_ASCII)));
            w.commit().get(10, TimeUnit.SECONDS);
        }
        Run show = postern("show", id.toString());
        assertEquals(0, show.code(), show.err());
        assertTrue(show.out().contains("\ncontent filter: smtp-amavis:[127.0.0.1]:10024 (every recipient goes there)\n"),
                show.out());
        assertTrue(!show.out().contains("requeued"), show.out());

        // Requeued while the daemon is down: waiting in maildrop/ for pickup, which chooses the filter again.
        assertEquals(0, postern("requeue", id.toString()).code());
        show = postern("show", id.toString());
        assertTrue(show.out().startsWith("queue: maildrop (requeued: pickup submits it again, with a new queue ID)\n"),
                show.out());
        assertTrue(show.out().contains("\ncontent filter: smtp-amavis:[127.0.0.1]:10024 (every recipient goes there)\n"),
                show.out());
    }

    @Test
    void postqueueDashIFlushesOnlyTheNamedDeferredMessages() throws Exception {
        Files.writeString(dir.resolve("main.cf"), "queue_directory = " + dir.resolve("queue") + "\n");
        Files.writeString(dir.resolve("master.cf"), "");
        byte[] content = "Subject: x\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);
        Path first;
        Path second;
        try (Spool spool = Spool.open(dir.resolve("queue"))) {
            first = spool.recordDeferral(spool.read(spool.activate(queued(spool, "a@example.org", content, "b@example.net"))),
                    Map.of(MailAddress.parse("b@example.net"), "4.4.1 no route"), Instant.now().plusSeconds(3600));
            second = spool.recordDeferral(spool.read(spool.activate(queued(spool, "a@example.org", content, "c@example.net"))),
                    Map.of(MailAddress.parse("c@example.net"), "4.4.1 no route"), Instant.now().plusSeconds(3600));
        }
        String id = first.getFileName().toString();
        Run run = postern("-i", id);
        assertEquals(0, run.code(), run.err());
        assertEquals(id + ": scheduled for immediate delivery\n", run.out());
        assertTrue(Files.exists(dir.resolve("queue/incoming").resolve(id)), "the named message is due now");
        assertTrue(Files.exists(second), "the other deferred message is left alone");
        Run again = postern("flush", "-i", id, "-i", "0123456789ABCD");
        assertEquals(1, again.code(), "an ID not in deferred/ is an error, as Postfix");
        assertTrue(again.err().contains(id + ": no such message in the queue"), again.err());
        assertTrue(again.err().contains("0123456789ABCD: no such message in the queue"), again.err());
    }

    @Test
    void mailWaitingInMaildropIsListedFirstWithoutAMarkAsPostfixDoes() throws Exception {
        Files.writeString(dir.resolve("main.cf"), "queue_directory = " + dir.resolve("queue") + "\n");
        Files.writeString(dir.resolve("master.cf"), "");
        byte[] content = "Subject: local\r\n\r\nfrom sendmail\r\n".getBytes(StandardCharsets.US_ASCII);
        dev.postern.pickup.Maildrop drop = new dev.postern.pickup.Maildrop(dir.resolve("queue"));
        String name = drop.deposit(new dev.postern.pickup.MaildropFile("me@desk.example", "", List.of("you@example.net"), content));
        Path file = dir.resolve("queue/maildrop").resolve(name);
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.from(Instant.ofEpochSecond(1_764_600_000L)));
        Path queuedFile;
        try (Spool spool = Spool.open(dir.resolve("queue"))) {
            queuedFile = queued(spool, "a@example.org", content, "b@example.net");
        }
        Files.writeString(dir.resolve("queue/maildrop/1764600000000.1.0badf11e"), "not a maildrop file\n");
        String arrival = DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss", Locale.ENGLISH)
                .format(Instant.ofEpochSecond(1_764_600_000L).atZone(ZoneId.systemDefault()));
        String out = postern().out();
        String header = String.format("%-17s %8s %-19s %s%n", "----Queue ID-----", "--Size--", "---Arrival Time----", "--Sender/Recipient------");
        String maildropRow = String.format("%-17s %8d %s %s%n", name, Files.size(file), arrival, "me@desk.example")
                + " ".repeat(47) + "you@example.net\n\n";
        assertTrue(out.startsWith(header + maildropRow + String.format("%-17s", queuedFile.getFileName())), out);
        assertTrue(out.contains("in 2 Requests."), out);
        assertTrue(out.contains("1764600000000.1.0badf11e ") && out.contains("maildrop/ (not a maildrop file"), out);
        String json = postern("-j").out();
        assertTrue(json.contains("{\"queue_name\": \"maildrop\", \"queue_id\": \"" + name + "\", \"arrival_time\": 1764600000, "
                + "\"message_size\": " + Files.size(file) + ", \"forced_expire\": false, \"sender\": \"me@desk.example\", "
                + "\"recipients\": [{\"orig_address\": \"you@example.net\", \"address\": \"you@example.net\"}]}\n"), json);
    }
}
