package dev.postern.smtp;

import dev.postern.config.Config;

import java.time.Duration;

/**
 * Postfix smtp(8)'s time limits for the replies to MAIL FROM, RCPT TO, DATA and RSET, for a
 * write that makes no progress (smtp_data_xfer_timeout), and for the reply to STARTTLS and the TLS
 * handshake after it (smtp_starttls_timeout). EHLO and AUTH replies wait smtp_helo_timeout and the
 * end-of-data reply smtp_data_done_timeout ({@link SmtpClientSettings}).
 */
public record CommandTimeouts(Duration mail, Duration rcpt, Duration dataInit, Duration rset, Duration dataXfer,
                              Duration starttls) {
    /** Postfix's defaults: 300s, 300s, 120s, 20s, 180s, 300s. */
    public static final CommandTimeouts POSTFIX = new CommandTimeouts(Duration.ofSeconds(300), Duration.ofSeconds(300),
            Duration.ofSeconds(120), Duration.ofSeconds(20), Duration.ofSeconds(180), Duration.ofSeconds(300));

    /** These reply limits, with Postfix's 300s for the TLS handshake (tests). */
    public CommandTimeouts(Duration mail, Duration rcpt, Duration dataInit, Duration rset, Duration dataXfer) {
        this(mail, rcpt, dataInit, rset, dataXfer, Duration.ofSeconds(300));
    }

    static CommandTimeouts from(Config c) {
        return new CommandTimeouts(c.duration("smtp_mail_timeout"), c.duration("smtp_rcpt_timeout"),
                c.duration("smtp_data_init_timeout"), c.duration("smtp_rset_timeout"), c.duration("smtp_data_xfer_timeout"),
                c.duration("smtp_starttls_timeout"));
    }
}
