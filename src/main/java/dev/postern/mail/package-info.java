/**
 * The mail vocabulary (Postfix's {@code global/}): addresses, queue IDs, replies, delivery requests
 * and results.
 *
 * <h2>Description</h2>
 * {@link dev.postern.mail.MailAddress} parses envelope mailboxes strictly: source routes are
 * stripped (RFC 5321 §4.1.1.3), while routing operators ({@code %}, {@code !}, a second {@code @},
 * quoted local parts) and address literals are refused rather than interpreted, so no address can
 * mean one destination to Postern and another to the next hop. {@link dev.postern.mail.Reply} is
 * exactly what an SMTP client sees. {@link dev.postern.mail.DeliveryAgent} sits here, low in the
 * tiers, so the queue manager drives transports without importing them. {@link dev.postern.mail.Dsn}
 * and {@link dev.postern.mail.RecipientDsn} are the RFC 3461 parameters a client gave (RET/ENVID,
 * NOTIFY/ORCPT), carried from smtpd through the queue file to the delivery agents and bounces;
 * {@link dev.postern.mail.Xtext} is their encoding.
 *
 * <h2>Standards</h2>
 * RFC 5321 (paths and limits), RFC 3463 (enhanced status codes), RFC 3461 (DSN parameters, xtext).
 */
package dev.postern.mail;
