/**
 * qmgr - the queue manager.
 *
 * <h2>Description</h2>
 * {@link dev.postern.qmgr.QueueManager} scans incoming/ when woken by cleanup and deferred/ every
 * queue_run_delay, moves messages to active/, routes recipients with {@link dev.postern.qmgr.Router}
 * (relayhost, transport nexthop, recipient domain), delivers through the transport's
 * {@link dev.postern.mail.DeliveryAgent}, and logs one Postfix delivery record per recipient
 * ({@code to=<>, relay=, delay=, delays=a/b/c/d, dsn=, status=}). Done: the file is removed
 * ({@code removed}). Deferred: the file is rewritten without the delivered recipients and moved to
 * deferred/ with mtime = next attempt, backoff = the message's age clamped to
 * [minimal_backoff_time, maximal_backoff_time]. Older than maximal_queue_lifetime: given up
 * (logged status=bounced).
 *
 * <h2>Parameters</h2>
 * queue_run_delay, minimal_backoff_time, maximal_backoff_time, maximal_queue_lifetime,
 * default_destination_concurrency_limit, relayhost, default_transport, relay_transport,
 * mydestination, relay_domains.
 *
 * <h2>Not yet</h2>
 * Bounce messages (DSNs) to the sender, transport_maps, sender_dependent_relayhost_maps, local delivery.
 *
 * <h2>Security</h2>
 * Does not talk to the outside world.
 */
package dev.postern.qmgr;
