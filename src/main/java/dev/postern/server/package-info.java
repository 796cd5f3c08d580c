/**
 * master - assembly and lifecycle.
 *
 * <h2>Description</h2>
 * {@link dev.postern.server.Server#plan} loads and validates the configuration (including TLS files
 * and restriction lists, so {@code postern check} sees what start would);
 * {@link dev.postern.server.Server#start} builds spool, cleanup, delivery agents, qmgr and the smtpd
 * listeners in that order, starts pickup (sendmail's maildrop/), then writes {@code $queue_directory/pid/master.pid}.
 * {@link dev.postern.server.Daemon} runs {@code start-fg} in a child JVM for {@code postern start}
 * and returns only when the child is listening. Stop is graceful: listeners close, sessions get a
 * grace period, queued mail stays on disk.
 *
 * <h2>Parameters</h2>
 * queue_directory, maillog_file, syslog_name, inet_interfaces, inet_protocols, and everything the
 * stages read.
 */
package dev.postern.server;
