package dev.postern.qmgr;

import dev.postern.bounce.Bounce;
import dev.postern.bounce.BounceSettings;
import dev.postern.cleanup.Cleanup;
import dev.postern.cleanup.CleanupSettings;
import dev.postern.cleanup.CleanupTransaction;
import dev.postern.cleanup.Envelope;
import dev.postern.config.Config;
import dev.postern.config.ConfigLoader;
import dev.postern.log.MailLog;
import dev.postern.mail.DeliveryAgent;
import dev.postern.mail.MailAddress;
import dev.postern.mail.ReversePath;
import dev.postern.queue.Spool;
import io.netty.buffer.Unpooled;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A queue manager on a real spool, with real cleanup and bounce, built from a main.cf written by
 * the test (so settings are read as the server reads them), delivering through the given agents.
 */
final class QmgrHarness implements AutoCloseable {
    final Path dir;
    final Spool spool;
    final Cleanup cleanup;
    final QueueManager qmgr;
    final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    final Config config;
    private final Clock clock;

    QmgrHarness(Path dir, String mainCf, Map<String, DeliveryAgent> agents, Clock clock) throws Exception {
        this(dir, mainCf, agents, clock, null);
    }

    /** {@code router}: null for the one main.cf configures. */
    QmgrHarness(Path dir, String mainCf, Map<String, DeliveryAgent> agents, Clock clock, Router router) throws Exception {
        this.dir = dir;
        this.clock = clock;
        Files.writeString(dir.resolve("main.cf"), "myhostname = mx.postern.test\nqueue_directory = " + dir.resolve("queue")
                + "\n" + mainCf);
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd -o smtpd_recipient_restrictions=reject\n");
        config = ConfigLoader.load(dir).config();
        MailLog log = new MailLog(logBytes, "mx.postern.test", "postern");
        spool = Spool.open(dir.resolve("queue"));
        QueueManager[] ref = new QueueManager[1];
        cleanup = new Cleanup(spool, CleanupSettings.from(config), log, () -> ref[0].wake());
        Bounce bounce = new Bounce(BounceSettings.from(config), cleanup, log, clock);
        qmgr = new QueueManager(spool, QmgrSettings.from(config), router != null ? router : new Router(RouterSettings.from(config)),
                agents, bounce, log, clock);
        ref[0] = qmgr;
        qmgr.start();
    }

    String submit(String sender, String body, String... recipients) throws Exception {
        CleanupTransaction t = cleanup.open(new Envelope(ReversePath.parse(sender), "localhost[127.0.0.1]", "test",
                "ESMTP", clock.instant(), false, false, "test"));
        for (String r : recipients) {
            t.addRecipient(MailAddress.parse(r));
        }
        t.write(Unpooled.wrappedBuffer(body.getBytes(StandardCharsets.UTF_8)));
        t.commit().get(10, TimeUnit.SECONDS);
        return t.queueId().toString();
    }

    String log() {
        return logBytes.toString(StandardCharsets.UTF_8);
    }

    String awaitLog(String regex, Duration timeout) throws InterruptedException {
        Pattern p = Pattern.compile(regex);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (p.matcher(log()).find()) {
                return log();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("log never matched /" + regex + "/:\n" + log());
    }

    long files(String queue) throws Exception {
        try (Stream<Path> s = Files.list(dir.resolve("queue").resolve(queue))) {
            return s.filter(f -> !f.getFileName().toString().startsWith(".")).count();
        }
    }

    @Override
    public void close() {
        qmgr.close();
        cleanup.close();
        spool.close();
    }
}
