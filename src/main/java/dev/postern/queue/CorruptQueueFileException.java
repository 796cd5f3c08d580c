package dev.postern.queue;

import java.io.IOException;

/**
 * A queue file that cannot be trusted: not a regular file, not a Postern queue file, truncated,
 * failing its checksum, or carrying another message's ID. Never delivered; {@link Spool#read}
 * has already moved it to {@code corrupt/} when it throws this.
 */
public final class CorruptQueueFileException extends IOException {
    public CorruptQueueFileException(String message) {
        super(message);
    }
}
