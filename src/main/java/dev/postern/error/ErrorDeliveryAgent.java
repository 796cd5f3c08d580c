package dev.postern.error;

import dev.postern.mail.DeliveryAgent;
import dev.postern.mail.DeliveryRequest;
import dev.postern.mail.MailAddress;
import dev.postern.mail.RecipientResult;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Postfix's error(8) and its retry service: the next hop is the reason
 * ({@code error:5.1.1 mailbox moved}). {@code error} bounces every recipient, {@code retry} defers
 * it; an optional leading enhanced status code becomes the dsn (default 5.0.0 and 4.0.0; a code of
 * the wrong class is replaced by the default, as bounce_append() and defer_append() do). Nothing
 * is sent anywhere: relay=none.
 */
public final class ErrorDeliveryAgent implements DeliveryAgent {
    private static final Pattern DSN = Pattern.compile("^([245]\\.\\d{1,3}\\.\\d{1,3})(?=\\s|$)");

    private final boolean bounce;

    private ErrorDeliveryAgent(boolean bounce) {
        this.bounce = bounce;
    }

    /** The {@code error} transport: bounce. */
    public static ErrorDeliveryAgent error() {
        return new ErrorDeliveryAgent(true);
    }

    /** The {@code retry} transport: defer. */
    public static ErrorDeliveryAgent retry() {
        return new ErrorDeliveryAgent(false);
    }

    @Override
    public List<RecipientResult> deliver(DeliveryRequest request) {
        String defaultDsn = bounce ? "5.0.0" : "4.0.0";
        String text = request.nexthop().strip();
        String dsn = defaultDsn;
        Matcher m = DSN.matcher(text);
        if (m.find()) {
            dsn = m.group(1).charAt(0) == defaultDsn.charAt(0) ? m.group(1) : defaultDsn;
            text = text.substring(m.end()).strip();
        }
        List<RecipientResult> out = new ArrayList<>();
        for (MailAddress r : request.recipients()) {
            out.add(bounce ? new RecipientResult.Bounced(r, "none", dsn, text, Duration.ZERO, Duration.ZERO)
                    : new RecipientResult.Deferred(r, "none", dsn, text, Duration.ZERO, Duration.ZERO));
        }
        return out;
    }
}
