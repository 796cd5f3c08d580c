/**
 * qmgr - the queue manager.
 *
 * <h2>Description</h2>
 * {@link dev.postern.qmgr.QueueManager} scans incoming/ when woken by cleanup and deferred/ every
 * queue_run_delay, moves messages to active/, routes recipients with {@link dev.postern.qmgr.Router}
 * (Postfix's trivial-rewrite order: address class, sender_dependent_relayhost_maps with Postern's
 * {@code .parent} sender keys, relayhost, recipient domain, the transport's :nexthop, then
 * transport_maps over all; a table that cannot answer sends the recipient to the retry transport,
 * 4.3.0 "address resolver failure", never elsewhere), delivers through the transport's
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
 * mydestination, relay_domains, transport_maps, sender_dependent_relayhost_maps,
 * empty_address_relayhost_maps_lookup_key, postern_sender_parent_domain_matching,
 * recipient_delimiter, parent_domain_matches_subdomains, myorigin.
 *
 * <h2>Not yet</h2>
 * Bounce messages (DSNs) to the sender, local delivery, sender_dependent_default_transport_maps,
 * relocated_maps, virtual domains.
 *
 * <h2>Security</h2>
 * Does not talk to the outside world.
 */
package dev.postern.qmgr;
