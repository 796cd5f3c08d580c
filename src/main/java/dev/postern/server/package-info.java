/**
 * master - assembly and lifecycle.
 *
 * <h2>Description</h2>
 * {@link dev.postern.server.Server#plan} loads and validates the configuration (including TLS files
 * and restriction lists, so {@code postern check} sees what start would);
 * {@link dev.postern.server.Server#start} first takes an exclusive lock on
 * {@code $queue_directory/pid/master.pid} ({@link dev.postern.server.PidFile}), held for the
 * process's life as Postfix's master does, then builds spool, cleanup, delivery agents, qmgr and the
 * smtpd listeners in that order, starts pickup (sendmail's maildrop/), and writes its pid into the locked file when every listener
 * accepts. The lock decides whether Postern runs: the kernel drops it when the process dies, even
 * by {@code kill -9}, so a start right after a crash works at once and a stale file naming a
 * recycled pid fools neither {@code status} nor {@code stop}.
 * {@link dev.postern.server.Daemon} runs {@code start-fg} in a child JVM for {@code postern start}
 * and returns only when the child is listening; {@code stop} sends TERM to the lock holder and
 * waits until the lock is free. Stop is graceful: listeners close, sessions get a
 * grace period, queued mail stays on disk.
 *
 * <h2>Parameters</h2>
 * queue_directory, maillog_file, syslog_name, inet_interfaces, inet_protocols, and everything the
 * stages read.
 */
package dev.postern.server;
