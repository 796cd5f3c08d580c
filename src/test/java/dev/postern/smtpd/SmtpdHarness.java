package dev.postern.smtpd;

import dev.postern.cleanup.Cleanup;
import dev.postern.cleanup.CleanupSettings;
import dev.postern.config.Config;
import dev.postern.config.ConfigLoader;
import dev.postern.log.MailLog;
import dev.postern.protocol.NettyTransport;
import dev.postern.queue.Spool;
import io.netty.channel.EventLoopGroup;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;

/**
 * One real smtpd listener on 127.0.0.1:0 without TLS, over a real spool and cleanup (whose I/O
 * executor a test may slow down), with the mail log in memory.
 */
final class SmtpdHarness implements AutoCloseable {
    final Cleanup cleanup;
    final Smtpd smtpd;
    final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    private final Spool spool;
    private final MailLog log;
    private final EventLoopGroup acceptors = NettyTransport.newGroup(1, "test-accept");
    private final EventLoopGroup workers = NettyTransport.newGroup(2, "test-smtpd");

    SmtpdHarness(Path dir, String extraMain, ExecutorService cleanupIo) throws Exception {
        Files.writeString(dir.resolve("main.cf"), "myhostname = mx.postern.test\n"
                + "queue_directory = " + dir.resolve("queue") + "\n"
                + "mynetworks = 127.0.0.0/8\n"
                + "smtpd_recipient_restrictions = permit_mynetworks, reject\n"
                + extraMain);
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n");
        Config c = ConfigLoader.load(dir).config();
        Config sc = c.forService(c.services().get(0));
        log = new MailLog(logBytes, "mx", "postern");
        spool = Spool.open(dir.resolve("queue"));
        cleanup = new Cleanup(spool, CleanupSettings.from(c), log, () -> { }, cleanupIo);
        smtpd = Smtpd.start(SmtpdSettings.from(sc, "smtpd"), new InetSocketAddress("127.0.0.1", 0), cleanup, log,
                acceptors, workers, SessionLimit.unlimited("smtpd", log));
    }

    Spool spool() {
        return spool;
    }

    InetSocketAddress address() {
        return smtpd.localAddress();
    }

    String log() {
        synchronized (logBytes) {
            return logBytes.toString(StandardCharsets.UTF_8);
        }
    }

    /** Waits up to 10 s for {@code text} in the mail log; fails showing the log. */
    void awaitLog(String text) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!log().contains(text)) {
            if (System.nanoTime() >= deadline) {
                throw new AssertionError("log never showed \"" + text + "\":\n" + log());
            }
            Thread.sleep(20);
        }
    }

    @Override
    public void close() throws Exception {
        smtpd.close(0);
        acceptors.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        cleanup.close();
        spool.close();
        log.close();
    }
}
