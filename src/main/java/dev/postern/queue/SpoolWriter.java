package dev.postern.queue;

import dev.postern.mail.QueueId;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;

/**
 * Writes one new queue file: envelope header, then content, then the content length patched into
 * the header and the end record (CRC32C of content then header, see {@link QueueFile}), then
 * fdatasync and publication through the group committer. The CRC is computed as the bytes pass
 * (hardware CRC32C: a fraction of the cost of copying them). Not thread-safe: the caller
 * serialises calls (cleanup does, per transaction).
 */
public final class SpoolWriter implements AutoCloseable {
    /** Queue files hold mail: readable by Postern's user only (Postfix: 0600 in 0700 directories). */
    private static final java.nio.file.attribute.FileAttribute<?>[] OWNER_ONLY = {
            java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"))};

    private final Spool spool;
    private final QueueId id;
    private final Path temp;
    private FileChannel channel;
    private QueueEnvelope.Encoded header;
    private final java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    private long contentBytes;

    public SpoolWriter(Spool spool, QueueId id) {
        this.spool = spool;
        this.id = id;
        this.temp = spool.newTempFile(id);
    }

    public void begin(QueueEnvelope envelope) throws IOException {
        channel = spool.reuseRecycled(temp)
                ? FileChannel.open(temp, StandardOpenOption.WRITE)
                : FileChannel.open(temp, java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), OWNER_ONLY);
        header = envelope.encode();
        QueueFile.writeFully(channel, ByteBuffer.wrap(header.bytes()));
    }

    public void write(ByteBuffer data) throws IOException {
        crc.update(data.duplicate());
        contentBytes += data.remaining();
        while (data.hasRemaining()) {
            channel.write(data);
        }
    }

    /** fsync(file), then rename + fsync(dir) via the group committer; the future says when durable. */
    public CompletableFuture<Void> commit() throws IOException {
        // The size digits have a fixed width: patched in place, nothing moves.
        QueueFile.writeFully(channel, ByteBuffer.wrap(header.sizeDigits(contentBytes)), header.sizeOffset());
        crc.update(header.withSize(contentBytes));
        QueueFile.writeFully(channel, ByteBuffer.wrap(QueueFile.endRecord(crc.getValue())));
        channel.truncate(channel.position()); // a recycled file may be longer than this message
        // fdatasync: the data and the size, which is all a reader needs; not the timestamps.
        channel.force(false);
        channel.close();
        channel = null;
        return spool.publish(temp, id);
    }

    /** Discards the temp file. */
    @Override
    public void close() {
        try {
            if (channel != null) {
                channel.close();
                channel = null;
            }
            Files.deleteIfExists(temp);
        } catch (IOException ignored) {
            // recovery at the next start deletes leftover temp files
        }
    }
}
