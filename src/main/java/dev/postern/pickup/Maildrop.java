package dev.postern.pickup;

import dev.postern.util.AtomicFile;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * {@code $queue_directory/maildrop}: where sendmail leaves messages for pickup, so local mail is
 * accepted while the daemon is down. Owner-only (0700, files 0600): the daemon and its sendmail
 * run as one user, so the directory needs no set-gid helper (Postfix's postdrop) and no
 * world-writable sticky directory (Postfix's old 1733 maildrop, which let any local user fill the
 * disk). Another user's sendmail gets "Permission denied" and should submit over SMTP instead.
 * A name appears only for a complete, fsync'd file whose directory entry is fsync'd too.
 */
public final class Maildrop {
    /** Temp files: written here, renamed to a name without the dot when complete. */
    private static final String TEMP_PREFIX = ".tmp-";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path queueDirectory;
    private final Path dir;

    public Maildrop(Path queueDirectory) {
        this.queueDirectory = queueDirectory;
        this.dir = queueDirectory.resolve("maildrop");
    }

    public Path directory() {
        return dir;
    }

    /**
     * Creates queue_directory and maildrop/ (0700) when missing. An existing maildrop/ keeps its
     * mode: an administrator may open it to other local users (Postfix's old 1733), knowing that
     * pickup logs each file's owner as uid=.
     */
    public void create() throws IOException {
        if (!Files.isDirectory(queueDirectory)) {
            Files.createDirectories(queueDirectory, ownerOnly("rwx------"));
        }
        if (!Files.isDirectory(dir)) {
            try {
                Files.createDirectory(dir, ownerOnly("rwx------"));
            } catch (FileAlreadyExistsException raced) {
                // another sendmail made it first
            }
        }
    }

    /**
     * Writes the message durably and returns its file name: write a temp file, fsync, rename,
     * fsync the directory. Only after this returns may sendmail exit 0.
     */
    public String deposit(MaildropFile message) throws IOException {
        create();
        byte[] bytes = message.encode();
        while (true) {
            String name = newName();
            Path temp = dir.resolve(TEMP_PREFIX + name);
            Path target = dir.resolve(name);
            try (FileChannel ch = FileChannel.open(temp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    ownerOnly("rw-------"))) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            } catch (FileAlreadyExistsException collision) {
                continue;
            } catch (IOException e) {
                Files.deleteIfExists(temp);
                throw e;
            }
            if (Files.exists(target)) {
                Files.delete(temp);
                continue;
            }
            try {
                AtomicFile.moveDurably(temp, target);
            } catch (IOException e) {
                Files.deleteIfExists(temp);
                throw e;
            }
            return name;
        }
    }

    /** Names sort by submission time: milliseconds, then pid and randomness against collisions. */
    private static String newName() {
        return String.format("%013d.%d.%08x", System.currentTimeMillis(), ProcessHandle.current().pid(), RANDOM.nextInt());
    }

    /**
     * Entries waiting for pickup, oldest first; temp files of running sendmails are skipped. Not
     * only regular files: pickup moves anything else aside rather than ignore it forever.
     */
    List<Path> ready() throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path f : ds) {
                if (!f.getFileName().toString().startsWith(".")) {
                    out.add(f);
                }
            }
        }
        Collections.sort(out);
        return out;
    }

    /**
     * A message waiting in maildrop/ as the queue listing shows it (Postfix's mailq lists
     * maildrop first, without a status mark): the file's name, mtime and size (Postfix shows a
     * maildrop file's size, not a size record), the envelope; {@code problem} non-null when the
     * file is not a complete maildrop file (pickup will move it aside).
     */
    public record Waiting(String name, java.time.Instant submitted, long size, String sender, List<String> recipients,
                          String problem, List<String> originals) {
        /** {@code originals}: each recipient's original address, in order (the recipient itself when unchanged). */
        public Waiting {
            originals = originals == null ? recipients : List.copyOf(originals);
        }

        public Waiting(String name, java.time.Instant submitted, long size, String sender, List<String> recipients,
                       String problem) {
            this(name, submitted, size, sender, recipients, problem, null);
        }
    }

    /** What is waiting for pickup now, oldest first (for {@code postern queue}; reads each file). */
    public List<Waiting> waiting() throws IOException {
        List<Waiting> out = new ArrayList<>();
        for (Path f : ready()) {
            try {
                var attrs = Files.readAttributes(f, java.nio.file.attribute.BasicFileAttributes.class,
                        java.nio.file.LinkOption.NOFOLLOW_LINKS);
                if (!attrs.isRegularFile()) {
                    out.add(new Waiting(f.getFileName().toString(), attrs.lastModifiedTime().toInstant(), 0, "", List.of(),
                            "not a regular file"));
                    continue;
                }
                byte[] bytes = Files.readAllBytes(f);
                if (dev.postern.queue.Spool.isQueueFile(bytes)) { // requeued (postern queue requeue), not yet picked up
                    try {
                        var env = dev.postern.queue.Spool.readQueueFile(f).envelope();
                        out.add(new Waiting(f.getFileName().toString(), attrs.lastModifiedTime().toInstant(), attrs.size(),
                                env.sender().toString(), env.recipients().stream().map(Object::toString).toList(), null,
                                env.recipients().stream().map(r -> env.originalOf(r) == null ? r.toString() : env.originalOf(r))
                                        .toList()));
                    } catch (java.nio.file.NoSuchFileException picked) {
                        throw picked;
                    } catch (IOException e) {
                        out.add(new Waiting(f.getFileName().toString(), attrs.lastModifiedTime().toInstant(), attrs.size(), "",
                                List.of(), "damaged queue file: " + e.getMessage()));
                    }
                    continue;
                }
                try {
                    MaildropFile m = MaildropFile.decode(bytes);
                    out.add(new Waiting(f.getFileName().toString(), attrs.lastModifiedTime().toInstant(), attrs.size(),
                            m.sender(), m.recipients(), null));
                } catch (MaildropFile.MalformedException e) {
                    out.add(new Waiting(f.getFileName().toString(), attrs.lastModifiedTime().toInstant(), attrs.size(), "",
                            List.of(), e.getMessage()));
                }
            } catch (java.nio.file.NoSuchFileException picked) {
                // taken by pickup while we listed: it is in the queue proper now
            }
        }
        return out;
    }

    /**
     * Moves a file pickup cannot use to {@code $queue_directory/corrupt/maildrop-NAME}, the place
     * Postfix keeps damaged queue files, so an administrator can look at it; never a silent delete.
     */
    Path moveAside(Path file) throws IOException {
        Path corrupt = queueDirectory.resolve("corrupt");
        Files.createDirectories(corrupt, ownerOnly("rwx------"));
        Path target = corrupt.resolve("maildrop-" + file.getFileName());
        AtomicFile.moveDurably(file, target);
        return target;
    }

    private static FileAttribute<?>[] ownerOnly(String perms) {
        return new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(perms))};
    }
}
