package dev.postern.bounce;

import dev.postern.config.Config;

import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What the bounce service reads (Postfix names). Recipient parameters may be bare local parts
 * ({@code postmaster}); they are qualified with {@code myorigin}, as Postfix's cleanup would.
 */
public record BounceSettings(String myhostname, String myorigin, long bounceSizeLimit, Set<String> notifyClasses,
                             String bounceNoticeRecipient, String doubleBounceRecipient, String delayNoticeRecipient,
                             String doubleBounceSender, Duration delayWarningTime, Duration maximalQueueLifetime) {
    public BounceSettings {
        notifyClasses = Set.copyOf(notifyClasses);
    }

    public static BounceSettings from(Config c) {
        Set<String> classes = c.list("notify_classes").stream().map(s -> s.toLowerCase(Locale.ROOT))
                .collect(Collectors.toSet());
        return new BounceSettings(c.get("myhostname"), c.get("myorigin"), c.size("bounce_size_limit"), classes,
                c.get("bounce_notice_recipient"), c.get("2bounce_notice_recipient"), c.get("delay_notice_recipient"),
                c.get("double_bounce_sender"), c.duration("delay_warning_time"), c.duration("maximal_queue_lifetime"));
    }

    /** Postfix's defaults for the given host name, for tests. */
    public static BounceSettings defaults(String myhostname) {
        return new BounceSettings(myhostname, myhostname, 50000, Set.of("resource", "software"), "postmaster",
                "postmaster", "postmaster", "double-bounce", Duration.ZERO, Duration.ofDays(5));
    }

    boolean notifies(String notifyClass) {
        return notifyClasses.contains(notifyClass);
    }

    /** A recipient parameter as an address: a bare local part gets {@code @myorigin}. */
    String qualify(String address) {
        return address.contains("@") ? address : address + "@" + myorigin;
    }
}
