/**
 * qmgr - the queue manager.
 *
 * <h2>Description</h2>
 * {@link dev.postern.qmgr.QueueManager} scans incoming/ when woken by cleanup and deferred/ every
 * queue_run_delay, and moves messages to active/ while fewer than qmgr_message_active_limit are
 * there, one from each in turn (Postfix's qmgr_loop: a steady flow of new mail does not starve a
 * deferred backlog, nor the reverse; ScanFairnessTest). The deferred scan is a cursor over the
 * directory (names and mtimes, the next-attempt times, read as it goes, paused while the
 * active queue is full): a message not due leaves nothing in memory, and nothing else in qmgr
 * keeps per-message state for deferred mail (the delay notice flag is in the queue file, dead
 * destinations are forgotten once idle and past their dead time), so memory stays bounded
 * whatever the size of deferred/ (bench/deferred-rss.sh). A message with a content filter (the
 * queue file's {@code filter} line: content_filter or access(5) FILTER) has every recipient sent
 * to the filter's transport and next hop instead ({@link dev.postern.qmgr.Route#contentFilter},
 * Postfix's qmgr_message_resolve(): "content filtering overrides the address resolver"; no next
 * hop in it means default_filter_nexthop, else the recipient's domain). A message an older
 * Postern's {@code postern queue requeue} marked with a requeue record goes to maildrop/ when it is
 * taken, for pickup to submit again (as requeue does now). Otherwise each recipient is routed with {@link dev.postern.qmgr.Router} (Postfix's
 * trivial-rewrite order: address class, sender_dependent_relayhost_maps with Postern's
 * {@code .parent} sender keys, relayhost, recipient domain, the transport's :nexthop, then
 * transport_maps over all; a table that cannot answer sends the recipient to the retry transport,
 * 4.3.0 "address resolver failure", never elsewhere; any other routing error defers it, 4.3.0,
 * too). Recipients sharing a destination (transport + next hop) form one job. The
 * {@code Scheduler} starts jobs round robin over destinations, at most
 * {@code <transport>_destination_concurrency_limit} (default default_destination_concurrency_limit)
 * per destination, the transport's master.cf maxproc per transport (over its destinations; a
 * destination waiting for it is parked at its transport, so it neither blocks other transports nor
 * costs the round robin anything until one of the transport's deliveries ends) and
 * default_process_limit in all. Deliveries run on threads started on demand,
 * reused while idle and ended after a minute without work, so the thread count follows the
 * deliveries in progress, not default_process_limit.
 *
 * <p>A delivery whose every recipient failed at the connection level (4.4.x: no connection, lost
 * connection, no name; or a refused greeting) is a site failure. Once no other delivery to that
 * destination is in progress, or five (at most its concurrency) failed in a row, it is marked
 * down for minimal_backoff_time: its queued jobs, and new ones, are deferred at once with Postfix's
 * {@code delivery temporarily suspended: <reason>} (logged by service {@code retry}), so a dead
 * destination holds no slots beyond its own concurrency limit. Those deferrals run on their own
 * thread ({@code qmgr-retry}), so after a flush the scanner goes on activating mail for live
 * destinations meanwhile, and a deferral is a rename whose directory fsync is shared by a batch
 * (Spool.defer says why no message can be lost by that).
 *
 * <p>Transports are named {@link dev.postern.qmgr.Transport}s: the built-in smtp, relay, error and
 * retry, and each master.cf transport of the user's own, whose delivery records are logged under
 * its own tag ({@code postfix/isp/smtp[pid]:} for {@code -o syslog_name=postfix/isp}). A route to a
 * transport none of them is (a typo in transport_maps, a master.cf line removed by a reload) is
 * deferred as Postfix's qmgr defers it, {@code 4.3.0 mail transport unavailable}, with a warning
 * naming the transport and the fix; the mail stays queued and goes out once the transport exists.
 *
 * <p>Whatever a delivery agent does (throws, returns nothing) every recipient gets one result; an
 * exception is a deferral, {@code 4.3.0 unknown mail transport error: ...}, with a warning. Sent
 * recipients are recorded in the queue file between destination groups (one method,
 * {@code Completion.recordDone}, an appended done record), so a crash never sends to them again.
 * After the last group a message leaves active/ one of three ways: all done, removed; some
 * deferred, to deferred/ (with each one's reason) and mtime = now + its age capped at
 * maximal_backoff_time, then raised to minimal_backoff_time (so the delay doubles), but never later than its
 * expiry; failed recipients, and deferred ones older than
 * maximal_queue_lifetime (bounce_queue_lifetime for the null sender; logged {@code from=<s>,
 * status=expired, returned to sender}), reported by {@link dev.postern.bounce.Bounce} and
 * forgotten only once the report is queued. Expiry is checked after the attempt made when a
 * message is due; capping the next attempt at the expiry time makes every expired message due at
 * the next scan. After delay_warning_time (0 = never) the sender gets one delay notice, recorded
 * in the queue file with the deferral, so a restart never sends a second. {@code postern queue
 * flush} (and {@code flush -s site}) makes qmgr forget every dead destination.
 * Reports carry the client's RFC 3461 parameters from the queue file (each recipient's NOTIFY and
 * ORCPT, the message's RET and ENVID), which the delivery agents also get in the
 * {@link dev.postern.mail.DeliveryRequest}; a recipient sent with NOTIFY=SUCCESS gets a success
 * notice unless the next hop offered DSN and took the request over.
 *
 * <h2>Parameters</h2>
 * queue_run_delay, minimal_backoff_time, maximal_backoff_time, maximal_queue_lifetime,
 * bounce_queue_lifetime, delay_warning_time, default_destination_concurrency_limit,
 * {@code <transport>_destination_concurrency_limit}, default_process_limit, master.cf maxproc of transport lines,
 * qmgr_message_active_limit, relayhost, default_transport, relay_transport, mydestination,
 * relay_domains, transport_maps, sender_dependent_relayhost_maps,
 * empty_address_relayhost_maps_lookup_key, sender_dependent_default_transport_maps,
 * empty_address_default_transport_maps_lookup_key, postern_sender_parent_domain_matching,
 * recipient_delimiter, parent_domain_matches_subdomains, myorigin, default_filter_nexthop.
 *
 * <h2>Not yet</h2>
 * Local delivery, relocated_maps, virtual domains.
 * Postfix's concurrency feedback (slow start, cohorts) is reduced to the dead-destination rule
 * above. With the active queue full, fresh mail waits for room as in Postfix (no reserved share
 * for incoming/), then gets every other free slot.
 *
 * <h2>Security</h2>
 * Does not talk to the outside world.
 */
package dev.postern.qmgr;
