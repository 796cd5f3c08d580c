package dev.postern.server;

import dev.postern.queue.DeferredFiller;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code postern queue} streams its listing: 60,000 deferred messages are listed, text and JSON,
 * by a process with a 16 MiB heap (collecting the entries first, as the listing did, needs about
 * twice that), every one of them, each run of names in ID order.
 */
class QueueListingScaleTest {
    @TempDir
    Path dir;

    private static final int COUNT = 60_000;

    @Test
    void sixtyThousandDeferredMessagesAreListedInSixteenMebibytes() throws Exception {
        Path queue = dir.resolve("queue");
        DeferredFiller.fill(queue, COUNT, Instant.now().plusSeconds(3600), "alice@sender.example", "bob@dead.example");
        Files.writeString(dir.resolve("main.cf"), "myhostname = mx.postern.test\nqueue_directory = " + queue + "\n");
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n");

        LocalCommand.Result text = LocalCommand.run(small("-c", dir.toString(), "queue"), null, Map.of());
        assertEquals(0, text.exit(), text.err());
        assertTrue(text.out().contains("\n-- " + (COUNT * (long) sizeOfOne(text.out()) / 1024) + " Kbytes in " + COUNT
                + " Requests.\n"), "the totals: " + text.out().substring(Math.max(0, text.out().length() - 200)));
        List<String> ids = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^([0-9A-Za-z]{10,})\\s+\\d+ ").matcher(text.out());
        while (m.find()) {
            ids.add(m.group(1));
        }
        assertEquals(COUNT, ids.size(), "every message listed once");
        assertEquals(COUNT, ids.stream().distinct().count(), "every message listed once");
        List<String> firstRun = ids.subList(0, dev.postern.queue.QueueControl.SORT_RUN);
        assertEquals(firstRun.stream().sorted().toList(), firstRun, "a run of names is in ID order");

        LocalCommand.Result json = LocalCommand.run(small("-c", dir.toString(), "queue", "-j"), null, Map.of());
        assertEquals(0, json.exit(), json.err());
        assertEquals(COUNT, json.out().lines().filter(l -> l.startsWith("{\"queue_name\": \"deferred\"")).count());
    }

    /** Every filled message has the same size: read it from the first entry line. */
    private static int sizeOfOne(String listing) {
        Matcher m = Pattern.compile("(?m)^[0-9A-Za-z]{10,}\\s+(\\d+) ").matcher(listing);
        assertTrue(m.find(), listing.substring(0, Math.min(500, listing.length())));
        return Integer.parseInt(m.group(1));
    }

    private static List<String> small(String... args) {
        List<String> cmd = LocalCommand.postern(args);
        cmd.add(1, "-Xmx16m");
        return cmd;
    }
}
