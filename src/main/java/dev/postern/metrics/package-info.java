/**
 * Prometheus metrics: counters the other stages bump, served over HTTP when asked for.
 *
 * <h2>Description</h2>
 * {@link dev.postern.metrics.Metrics} holds one server's counters, histograms and scrape-time
 * gauges in a registry of its own (Prometheus Java client 1.x, core and text format only);
 * {@link dev.postern.metrics.MetricsServer} serves them as {@code GET /metrics} on
 * postern_metrics_listen with the JDK's HTTP server, on one thread that is not an SMTP event loop.
 * Empty postern_metrics_listen (the default) uses {@code Metrics.off()}: nothing is bound, every
 * hook returns at once.
 * <p>
 * Most hooks are called by {@code log.MailLog}, so every event counts exactly when its log line is
 * written and the hooks stay few: connect/disconnect, client=, message-id=, removed (discarded),
 * removed, and the delivery record. smtpd calls the two that need more than the log line says
 * (the restriction that refused, the TLS result and session resumption). Queue sizes and CRL age are callbacks the server
 * wires; they run only during a scrape.
 *
 * <h2>Metrics</h2>
 * Names follow postfix_exporter where it has one, so its dashboards work:
 * <ul>
 * <li>{@code postfix_smtpd_connects_total}, {@code postfix_smtpd_disconnects_total};
 *     {@code postern_smtpd_connections} (open now)
 * <li>{@code postern_smtpd_tls_handshakes_total{result=trusted|untrusted|no_cert|failed}};
 *     {@code postern_smtpd_tls_sessions_total{reused=true|false}} (reuse ratio =
 *     reused / all)
 * <li>{@code postfix_smtpd_messages_rejected_total{code,stage,restriction}} (postfix_exporter has
 *     only {@code code})
 * <li>{@code postfix_smtpd_messages_processed_total{sasl_method=""}} (client= lines),
 *     {@code postfix_cleanup_messages_processed_total} (messages received from any source),
 *     {@code postern_cleanup_messages_discarded_total} (accepted, then discarded by a
 *     DISCARD of an access table, header_checks or body_checks: never queued, so not in the previous one), {@code postfix_qmgr_messages_removed_total}
 * <li>{@code postern_delivery_status_total{transport,relay,status}}: sent, deferred, bounced ...
 *     per recipient; relay is the next hop's host name, at most 64 distinct values, then "other"
 * <li>{@code postfix_smtp_delivery_delay_seconds{stage}} histogram: the delays=a/b/c/d parts as
 *     before_queue_manager, queue_manager, connection_setup, transmission (all transports)
 * <li>{@code postern_queue_messages{queue=incoming|active|deferred|hold|corrupt}}, counted at
 *     scrape time
 * <li>{@code postern_smtpd_tls_crl_age_seconds}: age of the stalest CRL in
 *     postern_smtpd_tls_crl_file
 * </ul>
 *
 * <h2>Parameters</h2>
 * postern_metrics_listen (host:port; empty: off).
 *
 * <h2>Security</h2>
 * The endpoint has no authentication: bind it to loopback or a management network. It shows
 * counts and host names of next hops, never addresses of senders or recipients.
 *
 * <h2>Threading</h2>
 * Hooks run on any thread (event loops included) and only add to striped adders. A scrape runs on
 * the metrics-http thread.
 */
package dev.postern.metrics;
