package dev.postern.queue;

import dev.postern.mail.QueueId;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Writes one new queue file: envelope header, then content, then the content length patched into
 * the header and the end record (CRC32C of content then header, see {@link QueueFile}), then
 * fdatasync and publication through the group committer. The CRC is computed as the bytes pass
 * (hardware CRC32C: a fraction of the cost of copying them). Bytes are held until {@link #HOLD}
 * of them wait, then written in one gathering write: a message that fits is written at commit, with
 * its length already in the header, in ONE write (no patch, no seek), where a write per piece and
 * a patch cost six system calls more per message. A recycled file may still hold a delivered
 * message ({@link RecycleBin} keeps small ones as they are): it is overwritten from the start, and
 * at commit, when it was longer, cut to the new length before the fdatasync (which carries the new
 * size), so no byte of the old message survives past the end record.
 * Not thread-safe: the caller serialises calls (cleanup does, per transaction).
 */
public final class SpoolWriter implements AutoCloseable {
    /** Queue files hold mail: readable by Postern's user only (Postfix: 0600 in 0700 directories). */
    private static final java.nio.file.attribute.FileAttribute<?>[] OWNER_ONLY = {
            java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"))};
    /** Bytes held in memory before they are written (a small message: all of it, until commit). */
    static final int HOLD = 64 * 1024;

    private final Spool spool;
    private final QueueId id;
    private Path temp;
    private FileChannel channel;
    private QueueEnvelope.Encoded header;
    private final java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    private long contentBytes;
    /** Not yet written; the first is the header as long as nothing was written. */
    private final List<ByteBuffer> held = new ArrayList<>();
    private long heldBytes;
    private boolean headerWritten;
    /** Bytes written from the start of the file so far. */
    private long written;
    /** A recycled file's length before this message: an earlier message's bytes past {@link #written} are cut at commit. */
    private long previousLength;

    public SpoolWriter(Spool spool, QueueId id) {
        this.spool = spool;
        this.id = id;
    }

    public void begin(QueueEnvelope envelope) throws IOException {
        Path recycled = spool.takeRecycled();
        if (recycled != null) {
            try {
                // READ too: replaceEnvelope() moves content already written
                FileChannel ch = FileChannel.open(recycled, StandardOpenOption.READ, StandardOpenOption.WRITE,
                        java.nio.file.LinkOption.NOFOLLOW_LINKS);
                try {
                    previousLength = ch.size();
                } catch (IOException e) {
                    ch.close();
                    throw e;
                }
                channel = ch;
                temp = recycled; // written in place, published from recycle/ by one rename
            } catch (IOException e) {
                Files.deleteIfExists(recycled);
            }
        }
        if (channel == null) {
            temp = spool.newTempFile(id);
            channel = FileChannel.open(temp, java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE), OWNER_ONLY);
        }
        header = envelope.encode();
        held.add(ByteBuffer.wrap(header.bytes()));
        heldBytes = header.bytes().length;
    }

    /**
     * Replaces the envelope given to {@link #begin} (a body_checks FILTER, REDIRECT or BCC found
     * after the content started): before any byte was written only the header held in memory
     * changes; otherwise the content already written moves to make room for the new header, in
     * place, 64 KiB at a time (the file is not published yet, so a crash half-way leaves a temp
     * file that recovery deletes). Rare, and only messages that take such an action pay for it.
     */
    public void replaceEnvelope(QueueEnvelope envelope) throws IOException {
        QueueEnvelope.Encoded next = envelope.encode();
        int oldLength = header.bytes().length;
        int delta = next.bytes().length - oldLength;
        if (!headerWritten) {
            held.set(0, ByteBuffer.wrap(next.bytes()));
            heldBytes += delta;
            header = next;
            return;
        }
        long content = written - oldLength; // content bytes in the file; the rest is still held
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        if (delta > 0) { // from the end backwards, so nothing is overwritten before it moved
            for (long done = 0; done < content; ) {
                int n = (int) Math.min(buf.capacity(), content - done);
                long from = oldLength + content - done - n;
                move(buf, n, from, from + delta);
                done += n;
            }
        } else if (delta < 0) {
            for (long done = 0; done < content; ) {
                int n = (int) Math.min(buf.capacity(), content - done);
                long from = oldLength + done;
                move(buf, n, from, from + delta);
                done += n;
            }
        }
        QueueFile.writeFully(channel, ByteBuffer.wrap(next.bytes()), 0);
        previousLength = Math.max(previousLength, written); // a shorter header leaves old bytes past the end: cut at commit
        written += delta;
        channel.position(written);
        header = next;
    }

    private void move(ByteBuffer buf, int n, long from, long to) throws IOException {
        buf.clear().limit(n);
        while (buf.hasRemaining()) {
            if (channel.read(buf, from + buf.position()) < 0) {
                throw new IOException("queue file shorter than written");
            }
        }
        buf.flip();
        QueueFile.writeFully(channel, buf, to);
    }

    /** Takes {@code data} over (the caller does not touch it afterwards). */
    public void write(ByteBuffer data) throws IOException {
        crc.update(data.duplicate());
        contentBytes += data.remaining();
        heldBytes += data.remaining();
        held.add(data);
        if (heldBytes >= HOLD) {
            writeHeld();
        }
    }

    private void writeHeld() throws IOException {
        ByteBuffer[] bufs = held.toArray(new ByteBuffer[0]);
        long left = heldBytes;
        while (left > 0) {
            long n = channel.write(bufs);
            left -= n;
            written += n;
        }
        held.clear();
        heldBytes = 0;
        headerWritten = true;
    }

    /** fsync(file), then rename + fsync(dir) via the group committer; the future says when durable. */
    public CompletableFuture<Void> commit() throws IOException {
        finish();
        return spool.publish(temp, id);
    }

    /**
     * As {@link #commit()}, into hold/ (an access table's HOLD, as Postfix's cleanup renames such a
     * file into its hold queue): the queue manager never sees it; {@code postern queue release}
     * moves it to deferred/. The rename and the fsyncs run on the caller's thread.
     */
    public CompletableFuture<Void> commitHeld() throws IOException {
        finish();
        return spool.publishHeld(temp, id);
    }

    /** Writes what is held, the length and the end record; fdatasync; closes the channel. */
    private void finish() throws IOException {
        byte[] full = header.withSize(contentBytes);
        crc.update(full);
        ByteBuffer end = ByteBuffer.wrap(QueueFile.endRecord(crc.getValue()));
        if (!headerWritten) {
            held.set(0, ByteBuffer.wrap(full)); // the length is known: nothing to patch afterwards
        } else {
            // The size digits have a fixed width: patched in place, nothing moves.
            QueueFile.writeFully(channel, ByteBuffer.wrap(header.sizeDigits(contentBytes)), header.sizeOffset());
        }
        held.add(end);
        heldBytes += end.remaining();
        writeHeld();
        if (previousLength > written) {
            channel.truncate(written); // the size change is in the fdatasync below
        }
        // fdatasync: the data and the size, which is all a reader needs; not the timestamps.
        channel.force(false);
        channel.close();
        channel = null;
    }

    /** Discards the temp file. */
    @Override
    public void close() {
        try {
            if (channel != null) {
                channel.close();
                channel = null;
            }
            if (temp != null) {
                Files.deleteIfExists(temp);
            }
        } catch (IOException ignored) {
            // recovery at the next start deletes leftover temp files
        }
    }
}
