/**
 * queue - the durable spool.
 *
 * <h2>Description</h2>
 * One file per message under {@code queue_directory}: {@code incoming/} (committed, not yet seen by
 * qmgr), {@code active/} (being delivered), {@code deferred/} (mtime = next attempt), {@code hold/},
 * {@code corrupt/}; beside them {@code recycle/} (files of delivered mail kept for reuse:
 * see RecycleBin), {@code request/} and {@code trigger/} (the queue tools' requests and wake-ups) and
 * {@code pid/}.
 *
 * <p>A file is a text envelope ({@link dev.postern.queue.QueueEnvelope}, version 2), the message
 * content, an end record holding the CRC32C of the content and the envelope, and then appended
 * per-recipient records ({@code QueueRecords}). The envelope names the content length, so a file
 * proves itself whole ({@code QueueFile}): one that is shorter than it says, fails the checksum,
 * is not a Postern queue file, carries an ID other than its name, or is not a regular file (a
 * FIFO is never opened) is moved to {@code corrupt/} with Postfix's warning and never delivered.
 * Version 1 files (the first release: no length, no end record) are still read, and rewritten as
 * version 2 before anything is appended to them. The envelope keeps the client's RFC 3461
 * parameters ({@code ret}, {@code envid}, and {@code notify}/{@code orcpt} after their
 * {@code rcpt} line), inside the checksum; files written without them read as "none given". So
 * does a message's content filter ({@code filter transport:nexthop}, Postfix's FILTER record),
 * written only for a message that has one; a file without it has none.
 *
 * <p>Commit = write a temp file ({@code .tmp-ID}, or an emptied file of delivered mail written in
 * place in {@code recycle/}), in one write when the message is small, fdatasync it, rename it to
 * incoming/ID, fsync incoming/; only then is the message acknowledged. Concurrent commits share directory fsyncs
 * ({@code GroupCommitter}). Recipients done are recorded by one append and one fdatasync
 * ({@link dev.postern.queue.Spool#markDone}); a torn append is one bad line that fails its CRC, so
 * a crash re-sends at most the recipients whose record was torn, never one recorded. The last
 * deferral reason of each recipient is appended too ({@link dev.postern.queue.Spool#recordDeferral})
 * for the queue listing, and once, the time the sender was sent a delay notice; records are
 * folded into a rewrite when they grow past 32 KiB. Moves between queues by qmgr (to active/, back
 * to deferred/) are plain renames, as Postfix's qmgr does them: the content is already durable and
 * a rename leaves the file under one name or the other after a crash; the directories of the
 * deferrals are fsync'd once per batch by the settle thread (every 200 ms and at close), not per
 * message ({@link dev.postern.queue.Spool#defer} says why nothing acknowledged can be lost).
 * {@link dev.postern.queue.QueueControl#list(java.util.function.Consumer)} streams the listing.
 *
 * <p>{@link dev.postern.queue.Spool#scan} is a cursor over a queue directory (names read as they
 * come, nothing collected): qmgr walks a deferred/ of a million files with it. Recovery at start
 * keeps only the deferred names that need action. {@link dev.postern.queue.DeferredFiller} writes
 * many deferred files quickly, for the scale tests and bench/deferred-rss.sh, never for mail.
 *
 * <p>At start ({@link dev.postern.queue.Spool#recover}): entries that cannot be queue files go to
 * corrupt/, active/ returns to incoming/, unfinished temp files are deleted (never acknowledged),
 * and operator requests left for messages that were being delivered are carried out.
 *
 * <p>{@link dev.postern.queue.QueueControl} is the queue tools' side ({@code postern queue}): list,
 * hold, release, delete, requeue, flush. Every change is one atomic rename or unlink, so it never
 * races with the daemon's own renames; a message in active/ gets a request instead, applied when
 * its delivery attempt ends with mail still queued. A requeue moves the file to maildrop/, as
 * Postfix's postsuper -r does, where pickup submits it through cleanup again (a new queue ID;
 * rewriting, checks and pickup's content_filter applied again). A requeue record
 * ({@code QueueRecords.requeued}) left by an older version's tool is still honoured: the queue
 * manager moves such a file to maildrop/ when it takes it.
 *
 * <p>A message held by an access table's HOLD is committed straight into hold/
 * ({@link dev.postern.queue.SpoolWriter#commitHeld}: one rename, hold/ and the source directory
 * fsync'd, no group commit), as Postfix's cleanup renames it into its hold queue; the queue file
 * format is the same, so nothing older reads it differently.
 *
 * <h2>Parameters</h2>
 * queue_directory. (queue_minfree is applied by smtpd through cleanup with
 * {@link dev.postern.queue.Spool#usableSpace}.)
 *
 * <h2>Security</h2>
 * Only this package touches queue files. Directories are 0700 and files 0600, as Postfix's.
 * Queue files are opened without following symbolic links. A delivered message's file in
 * recycle/ is emptied at once when large, else overwritten by the next message or emptied after
 * 10 s unused (RecycleBin.KEEP_UNUSED): its bytes do not linger there, and are never readable
 * past a new message's end record.
 *
 * <h2>Diagnostics</h2>
 * {@code warning: saving corrupt file "ID" from queue "deferred" to queue "corrupt": reason};
 * {@code ID: placed on hold}, {@code ID: removed}, {@code ID: requeued} when a request is carried out.
 */
package dev.postern.queue;
