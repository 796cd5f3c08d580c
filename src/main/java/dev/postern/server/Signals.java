package dev.postern.server;

import dev.postern.config.ConfigException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The daemon's signals, as systemd and Postfix's tools expect: HUP reloads the configuration in
 * place ({@link Server#reload}), TERM stops gracefully (the JVM's shutdown hook, see start-fg).
 * A reload's outcome is logged and written to {@code $queue_directory/pid/master.reload} as
 * {@code PID SEQ ok} or {@code PID SEQ refused: REASON}, which {@code postern reload} waits for
 * and prints. Reloads run one at a time on their own thread; a HUP during a reload waits for it.
 */
public final class Signals {
    private Signals() {}

    /** Where a reload's outcome is written. */
    public static Path reloadStatus(Path queueDirectory) {
        return queueDirectory.resolve("pid").resolve("master.reload");
    }

    /**
     * Installs the HUP handler before the server starts: master.pid says "ready" (and the log says
     * "daemon started") inside {@link Server#start}, and a HUP the JVM has no handler for yet would
     * run its default, a shutdown. A HUP that arrives before {@link Hangup#serve} is a reload once
     * the server is up (the files may have changed after start read them).
     */
    public static Hangup handleHangup(Path configDir) {
        return new Hangup(configDir);
    }

    /** The HUP handler; {@link #serve} attaches the started server. */
    public static final class Hangup {
        private final Path configDir;
        private final ExecutorService reloader = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "postern-reload");
            t.setDaemon(true);
            return t;
        });
        private Server server; // guarded by this
        private boolean pending; // guarded by this: a HUP before serve()
        private final String problem; // why reload will not work, logged once the mail log exists

        private Hangup(Path configDir) {
            this.configDir = configDir;
            String why = null;
            try {
                sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> hangup());
                if (SignalMask.selfIgnoresAny(SignalMask.HUP)) {
                    // the JVM declines, without an exception, a shutdown signal that was ignored at its start
                    why = "SIGHUP is ignored by this process (started under nohup?): postern reload will not work;"
                            + " restart it with postern stop; postern start, which resets SIGHUP";
                }
            } catch (IllegalArgumentException e) { // -Xrs, or a platform without HUP
                why = "cannot handle SIGHUP (" + e.getMessage() + "): postern reload will not work; use postern stop; postern start";
            }
            this.problem = why;
        }

        /** What a HUP does (package-private: SignalsTest plays one arriving before {@link #serve}). */
        synchronized void hangup() {
            if (server == null) {
                pending = true;
            } else {
                Server started = server;
                reloader.execute(() -> reload(started, configDir));
            }
        }

        /** From now on a HUP reloads {@code started}; one received while it was starting reloads now. */
        public synchronized void serve(Server started) {
            if (problem != null) {
                started.mailLog().warning("master", problem);
            }
            server = started;
            if (pending) {
                pending = false;
                reloader.execute(() -> reload(started, configDir));
            }
        }
    }

    private static int sequence;

    /** One reload: read, validate, swap; the outcome logged and written for {@code postern reload}. */
    static synchronized void reload(Server server, Path configDir) {
        var log = server.mailLog();
        Path status = reloadStatus(Path.of(server.config().get("queue_directory")));
        String outcome;
        log.info("master", "reload -- configuration " + configDir.toAbsolutePath());
        try {
            List<String> notes = server.reload(Server.plan(configDir));
            for (String n : notes) {
                if (n.startsWith("reload cannot")) {
                    log.warning("master", n);
                } else {
                    log.info("master", n);
                }
            }
            outcome = "ok" + notes.stream().filter(n -> n.startsWith("reload cannot")).map(n -> "\nwarning: " + n)
                    .reduce("", String::concat);
        } catch (ConfigException | IOException | RuntimeException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            log.warning("master", "reload refused, still running the old configuration: " + why);
            outcome = "refused: " + why;
        }
        sequence++;
        write(status, ProcessHandle.current().pid() + " " + sequence + " " + outcome + "\n");
    }

    private static void write(Path status, String text) {
        try {
            Path tmp = status.resolveSibling(status.getFileName() + ".tmp");
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, status, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // postern reload then times out and says to look at the mail log
        }
    }

    /** The last outcome written, if any. */
    public static Optional<String> lastReload(Path queueDirectory) {
        try {
            return Optional.of(Files.readString(reloadStatus(queueDirectory), StandardCharsets.UTF_8));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
