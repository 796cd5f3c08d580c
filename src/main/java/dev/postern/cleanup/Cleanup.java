package dev.postern.cleanup;

import java.io.IOException;

/**
 * The single intake of the queue: smtpd, sendmail and bounces open transactions here.
 * SKELETON: implemented by the queue/cleanup owner.
 */
public final class Cleanup {
    private Cleanup() {}

    public CleanupTransaction open(Envelope envelope) throws IOException {
        throw new IOException("not implemented yet");
    }
}
