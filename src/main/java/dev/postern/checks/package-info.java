/**
 * checks - header and body checks (Postfix's header_checks(5), global/header_body_checks.c).
 *
 * <h2>Description</h2>
 * {@link dev.postern.checks.ContentInspector} reads a message as it passes, cut into lines (pieces
 * of line_length_limit), follows its MIME structure as Postfix's mime_state does (multipart
 * boundaries up to mime_nesting_limit deep, message/rfc822 attachments) and asks each logical
 * header (folded lines joined by a newline) the table of its class (primary, MIME, nested) and
 * each body line the body table (the first body_checks_size_limit bytes of each part).
 * {@link dev.postern.checks.CheckActions} does what the table's value says: on the content
 * (IGNORE, STRIP, REPLACE, PREPEND, WARN, INFO, DUNNO) for every user, and on the message
 * (REJECT, HOLD, DISCARD, FILTER, REDIRECT, BCC, PASS) only where the message is being queued
 * (cleanup); elsewhere those are "unsupported command" warnings, as in Postfix. Lines no table
 * matched come out byte for byte.
 *
 * <h2>Users</h2>
 * cleanup (header_checks, mime_header_checks, nested_header_checks, body_checks) gives a
 * {@code Target} that is the message being queued; the SMTP client (smtp_header_checks, ...)
 * one that can only log.
 *
 * <h2>Parameters</h2>
 * The four tables under the user's prefix ({@link dev.postern.checks.ContentCheckSettings}),
 * body_checks_size_limit, disable_mime_input_processing, mime_nesting_limit,
 * mime_boundary_length_limit, line_length_limit, header_size_limit.
 *
 * <h2>Security</h2>
 * Reads the content only; a header is held up to header_size_limit, a line in pieces of
 * line_length_limit, so a message cannot make it hold more. Regular expressions are the user's;
 * Java's engine backtracks, so a pathological pattern costs CPU on the user's own threads (never
 * a network event loop).
 *
 * <h2>Diagnostics</h2>
 * Through the {@code Target}: the action lines and Postfix's warnings for bad actions.
 */
package dev.postern.checks;
