/**
 * queue - the durable spool.
 *
 * <h2>Description</h2>
 * One file per message under {@code queue_directory}: {@code incoming/} (committed, not yet seen by
 * qmgr), {@code active/} (being delivered), {@code deferred/} (mtime = next attempt), {@code hold/},
 * {@code corrupt/}. A file is a text envelope ({@link dev.postern.queue.QueueEnvelope}) and the
 * message content. Commit = write a temp file ({@code .tmp-ID}), fsync it, rename it to its ID,
 * fsync the directory; only then is the message acknowledged. Concurrent commits share directory
 * fsyncs ({@code GroupCommitter}). A partial delivery rewrites the file without the delivered
 * recipients (temp + fsync + rename), so state changes are atomic. At start, active/ returns to
 * incoming/ and unfinished temp files are deleted: they were never acknowledged.
 *
 * <h2>Security</h2>
 * Only this package touches queue files. Directories are created by the daemon's user.
 */
package dev.postern.queue;
