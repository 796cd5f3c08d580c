package dev.postern.cleanup;

import dev.postern.mail.Dsn;
import dev.postern.mail.ReversePath;

import java.time.Instant;

/**
 * What smtpd (or sendmail) knows when a transaction opens. {@code client} is Postfix's
 * {@code name[addr]} form; {@code protocol} is ESMTP, ESMTPS, SMTP, ...; {@code eightBitMime} is
 * the client's BODY=8BITMIME; {@code dsn} its RFC 3461 RET/ENVID ({@link Dsn#NONE} when none).
 */
public record Envelope(ReversePath sender, String client, String helo, String protocol, Instant arrival,
                       boolean smtpUtf8, boolean eightBitMime, String service, Dsn dsn) {
    public Envelope {
        dsn = dsn == null ? Dsn.NONE : dsn;
    }

    /** Without DSN parameters. */
    public Envelope(ReversePath sender, String client, String helo, String protocol, Instant arrival,
                    boolean smtpUtf8, boolean eightBitMime, String service) {
        this(sender, client, helo, protocol, arrival, smtpUtf8, eightBitMime, service, Dsn.NONE);
    }
}
