/**
 * error - Postfix's error(8) and retry delivery agents.
 *
 * <h2>Description</h2>
 * {@link dev.postern.error.ErrorDeliveryAgent} is the transport behind {@code error:text} and
 * {@code retry:text} (transport_maps entries, and qmgr's deferral when a routing table cannot
 * answer): every recipient is bounced (error, dsn 5.0.0 unless the text starts with a 5.x.x code)
 * or deferred (retry, 4.0.0 unless 4.x.x), with the text as the reason and relay=none.
 *
 * <h2>Security</h2>
 * Touches nothing: no network, no files.
 */
package dev.postern.error;
