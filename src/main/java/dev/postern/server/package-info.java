/**
 * master - assembly and lifecycle.
 *
 * <h2>Description</h2>
 * {@link dev.postern.server.Server#plan} loads and validates the configuration (including TLS files
 * and restriction lists, and that content_filter, in main.cf and on each smtpd line, names a
 * transport Postern delivers with ({@code ContentFilterCheck}), so {@code postern check} sees
 * what start would);
 * {@link dev.postern.server.Server#start} first takes an exclusive lock on
 * {@code $queue_directory/pid/master.pid} ({@link dev.postern.server.PidFile}), held for the
 * process's life as Postfix's master does, then builds spool, cleanup, delivery agents, qmgr and the
 * smtpd listeners in that order, starts pickup (sendmail's maildrop/), and writes its pid into the locked file when every listener
 * accepts. The lock decides whether Postern runs: the kernel drops it when the process dies, even
 * by {@code kill -9}, so a start right after a crash works at once and a stale file naming a
 * recycled pid fools neither {@code status} nor {@code stop}.
 * {@link dev.postern.server.Daemon} runs {@code start-fg} in a child JVM for {@code postern start}
 * and returns only when the child is listening; {@code stop} sends TERM to the lock holder and
 * waits until the lock is free.
 *
 * <p>Signals, as Postfix's master and systemd expect ({@link dev.postern.server.Signals}): HUP
 * reloads in place, TERM stops. {@link dev.postern.server.Server#reload} builds the new generation
 * of every smtpd listener first (TLS contexts, restrictions, tables) and binds new addresses; only
 * when all of that worked does it swap: each kept listener's bound socket stays open and its
 * ChannelInitializer reads the new generation for new connections ({@code Listeners}), sessions in
 * progress keep theirs, removed listeners stop accepting while their sessions finish, and each
 * service's {@code SessionLimit} follows a changed maxproc. cleanup, pickup and the SMTP clients
 * ({@code Transports}: smtp/relay with main.cf's settings and one per master.cf transport of the
 * user's own, {@code isp unix - - n - - smtp -o ...}, each in a {@code ReloadableAgent} closed once
 * its deliveries end) are rebuilt: a transport added to master.cf is served, a changed one gets a
 * new client, a removed one is retired (its queued mail deferred, "mail transport unavailable"),
 * each noted in the reload's log line; qmgr goes on and takes
 * a new router (relayhost, transport_maps, sender-dependent maps), its transports, timing and limits and a new
 * bounce through {@code QueueManager.reconfigure}: mail it routes from then on uses them, deliveries
 * in progress finish as they started (a new default_process_limit caps deliveries started after
 * the reload). The spool and the mail log go on unchanged, and {@code ReloadScope} warns, naming
 * the parameters, when those changed. The outcome goes to the mail log and to
 * {@code $queue_directory/pid/master.reload}, which {@code postern reload} waits for and prints.
 * Stop is graceful: listeners stop accepting, sessions get 10 s to finish their transaction, qmgr
 * its deliveries; then pickup, cleanup, the SMTP client, spool, event loops and log close.
 *
 * <p>Descriptors ({@code DescriptorBudget}): the open file limit is read from /proc/self/limits at
 * start and reload and compared with 2 × each smtpd service's process limit + 2 ×
 * default_process_limit + 128; the warning names maxproc, default_process_limit and LimitNOFILE=.
 * It warns rather than refuses: the sum is a worst case. bin/postern raises the soft limit to the
 * hard one before Java starts.
 *
 * <p>Metrics ({@code MetricsEndpoint}): with postern_metrics_listen set, the server counts with a
 * {@code metrics.Metrics} handed to the mail log (so the stages that log also count), wires the
 * scrape-time gauges (messages per queue directory, one readdir each; the age of
 * postern_smtpd_tls_crl_file's stalest CRL) and serves them with {@code metrics.MetricsServer}; it
 * closes first on stop. Empty (the default): nothing is bound and every hook is a no-op. A
 * changed address needs a restart.
 *
 * <h2>Parameters</h2>
 * queue_directory, maillog_file, syslog_name, inet_interfaces, inet_protocols, default_process_limit
 * and master.cf maxproc, postern_metrics_listen, and everything the stages read.
 *
 * <h2>Diagnostics</h2>
 * {@code reload -- configuration DIR}; {@code warning: reload refused, still running the old
 * configuration: REASON}; {@code warning: reload cannot apply the changed ...: they take effect after postern stop; postern start};
 * {@code warning: open file limit N is below the M this configuration may need (...)};
 * {@code warning: accept connection: Too many open files; pausing new connections for 1s: ...}.
 */
package dev.postern.server;
