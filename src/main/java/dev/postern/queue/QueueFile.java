package dev.postern.queue;

import dev.postern.mail.MessageContent;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * Reads and checks one queue file. A version 2 file proves itself whole: the header names the
 * content length, and the end record after the content holds the CRC32C of the content followed
 * by the header. A file that is not a regular file (checked without following symbolic links, so
 * a FIFO is never opened and cannot block the reader), is not a queue file, is shorter than it
 * says, fails the checksum, or holds an ID other than its name is {@link CorruptQueueFileException}.
 */
final class QueueFile {
    /** {@code end xxxxxxxx\n}. */
    static final int END_LENGTH = 13;

    private QueueFile() {}

    static byte[] endRecord(long crc) {
        byte[] b = {'e', 'n', 'd', ' ', 0, 0, 0, 0, 0, 0, 0, 0, '\n'};
        for (int i = 11; i >= 4; i--, crc >>>= 4) {
            b[i] = (byte) Character.forDigit((int) (crc & 0xF), 16); // lower case, as %08x
        }
        return b;
    }

    /** @param verify read the whole content to check its CRC (before a delivery); else only the structure */
    static QueuedMessage read(Path file, boolean verify) throws IOException {
        checkRegular(file);
        try (FileChannel ch = FileChannel.open(file, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
            long total = ch.size();
            if (total <= WHOLE) {
                return readWhole(file, ch, (int) total, verify);
            }
            InputStream in = new BufferedInputStream(Channels.newInputStream(ch), 65536);
            QueueEnvelope.Parsed p = QueueEnvelope.read(in);
            String name = file.getFileName().toString();
            if (!name.equals(p.envelope().id().toString())) {
                throw new CorruptQueueFileException("file name and queue ID disagree: the file holds "
                        + p.envelope().id());
            }
            long h = p.headerLength();
            if (p.version() == 1) {
                return message(file, p, h, total - h, QueueRecords.State.empty(), total, total);
            }
            long n = p.contentLength();
            long end = h + n + END_LENGTH;
            if (total < end) {
                throw new CorruptQueueFileException("truncated: " + total + " bytes, the header announces "
                        + n + " bytes of content");
            }
            CRC32C crc = new CRC32C();
            if (verify) {
                byte[] buf = new byte[65536];
                long left = n;
                while (left > 0) {
                    int r = in.read(buf, 0, (int) Math.min(buf.length, left));
                    if (r < 0) {
                        throw new CorruptQueueFileException("truncated content");
                    }
                    crc.update(buf, 0, r);
                    left -= r;
                }
            } else {
                in.skipNBytes(n);
            }
            byte[] endRecord = in.readNBytes(END_LENGTH);
            if (verify) {
                crc.update(p.headerBytes());
                if (!java.util.Arrays.equals(endRecord, endRecord(crc.getValue()))) {
                    throw new CorruptQueueFileException("checksum mismatch: the file is damaged");
                }
            } else if (endRecord.length != END_LENGTH || !new String(endRecord, StandardCharsets.US_ASCII).startsWith("end ")) {
                throw new CorruptQueueFileException("no end record after the content: the file is damaged");
            }
            QueueRecords.State records = QueueRecords.parse(in.readAllBytes(), name);
            return message(file, p, h, n, records, end, total);
        }
    }

    /**
     * Files up to this size (almost all mail) are read whole with one read into an array of their
     * size, and checked there: no 64 KiB stream buffers per read, no per-byte stream calls.
     */
    static final int WHOLE = 64 * 1024;

    /** {@link #read} for a small file: the same checks and the same result, from one read. */
    private static QueuedMessage readWhole(Path file, FileChannel ch, int size, boolean verify) throws IOException {
        byte[] all = new byte[size];
        int got = 0;
        while (got < size) {
            int r = ch.read(ByteBuffer.wrap(all, got, size - got));
            if (r < 0) {
                break; // shorter than it was a moment ago: judged below by what is there
            }
            got += r;
        }
        QueueEnvelope.Parsed p = QueueEnvelope.read(all, got);
        String name = file.getFileName().toString();
        if (!name.equals(p.envelope().id().toString())) {
            throw new CorruptQueueFileException("file name and queue ID disagree: the file holds "
                    + p.envelope().id());
        }
        int h = (int) p.headerLength();
        if (p.version() == 1) {
            return message(file, p, h, got - h, QueueRecords.State.empty(), got, got);
        }
        long n = p.contentLength();
        long end = h + n + END_LENGTH;
        if (got < end) {
            throw new CorruptQueueFileException("truncated: " + got + " bytes, the header announces "
                    + n + " bytes of content");
        }
        byte[] endRecord = java.util.Arrays.copyOfRange(all, (int) (h + n), (int) end);
        if (verify) {
            CRC32C crc = new CRC32C();
            crc.update(all, h, (int) n);
            crc.update(p.headerBytes());
            if (!java.util.Arrays.equals(endRecord, endRecord(crc.getValue()))) {
                throw new CorruptQueueFileException("checksum mismatch: the file is damaged");
            }
        } else if (!new String(endRecord, StandardCharsets.US_ASCII).startsWith("end ")) {
            throw new CorruptQueueFileException("no end record after the content: the file is damaged");
        }
        QueueRecords.State records = QueueRecords.parse(java.util.Arrays.copyOfRange(all, (int) end, got), name);
        return message(file, p, h, n, records, end, got);
    }

    /** Without following symbolic links: a FIFO must never be opened (the open would block). */
    static void checkRegular(Path file) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!a.isRegularFile()) {
            throw new CorruptQueueFileException("not a regular file (" + (a.isDirectory() ? "a directory"
                    : a.isSymbolicLink() ? "a symbolic link" : "a FIFO, socket or device") + ")");
        }
    }

    private static QueuedMessage message(Path file, QueueEnvelope.Parsed p, long offset, long size,
                                         QueueRecords.State records, long recordsStart, long total) {
        MessageContent content = new MessageContent() {
            @Override
            public InputStream open() throws IOException {
                InputStream s = Files.newInputStream(file);
                s.skipNBytes(offset);
                return new Bounded(s, size);
            }

            @Override
            public long size() {
                return size;
            }
        };
        QueueEnvelope env = p.envelope();
        if (!records.done().isEmpty()) {
            env = env.withRecipients(env.recipients().stream().filter(r -> !records.done().contains(r.toString())).toList());
        }
        return new QueuedMessage(file, env, content, p.version(), records, recordsStart, total);
    }

    /** Writes a complete version 2 file (header, content, end record, then {@code records}) and fsyncs it. */
    static void write(FileChannel out, QueueEnvelope envelope, MessageContent content, byte[] records) throws IOException {
        QueueEnvelope.Encoded header = envelope.encode();
        byte[] h = header.withSize(content.size());
        writeFully(out, ByteBuffer.wrap(h));
        CRC32C crc = new CRC32C();
        try (InputStream in = content.open()) {
            byte[] buf = new byte[65536];
            int r;
            while ((r = in.read(buf)) > 0) {
                crc.update(buf, 0, r);
                writeFully(out, ByteBuffer.wrap(buf, 0, r));
            }
        }
        crc.update(h);
        writeFully(out, ByteBuffer.wrap(endRecord(crc.getValue())));
        writeFully(out, ByteBuffer.wrap(records));
        out.truncate(out.position());
        out.force(false);
    }

    static void writeFully(FileChannel out, ByteBuffer b, long position) throws IOException {
        while (b.hasRemaining()) {
            position += out.write(b, position);
        }
    }

    static void writeFully(FileChannel out, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            out.write(b);
        }
    }

    /** The content only: a version 2 file has its end record and the appended records after it. */
    private static final class Bounded extends FilterInputStream {
        private long left;

        Bounded(InputStream in, long size) {
            super(in);
            this.left = size;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int b = super.read();
            if (b >= 0) {
                left--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int r = super.read(b, off, (int) Math.min(len, left));
            if (r > 0) {
                left -= r;
            }
            return r;
        }

        @Override
        public long skip(long n) throws IOException {
            long s = super.skip(Math.min(n, left));
            left -= s;
            return s;
        }

        @Override
        public int available() throws IOException {
            return (int) Math.min(super.available(), left);
        }
    }
}
