package dev.postern.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * Logback's configuration for Postern's diagnostics (warnings on stderr, not the mail log, which
 * {@link MailLog} writes): {@code postern: LEVEL: Class: message}, the root at WARN or at the
 * level in POSTERN_LOG_LEVEL (environment or system property), Netty at WARN.
 * <p>
 * Made in code, found by Logback through META-INF/services, rather than read from a logback.xml:
 * reading XML loaded ~600 classes into the daemon (Logback's Joran, model and pattern classes, the
 * JDK's XML parser) that stay for its whole life, ~2 MiB of metaspace (issue 12's RSS target), and
 * ~0.1 s of CPU at its start. An explicit configuration still wins: with {@code -Dlogback.configurationFile}
 * or a logback-test.xml on the class path (the tests') this steps aside and Logback reads that file.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_NORMAL_PRIORITY)
public final class DiagnosticsConfigurator extends ContextAwareBase implements Configurator {
    /** The environment variable (or system property) naming the root level: ERROR, WARN, INFO, DEBUG, TRACE, OFF (any case). */
    static final String LEVEL_SETTING = "POSTERN_LOG_LEVEL";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty("logback.configurationFile") != null
                || DiagnosticsConfigurator.class.getClassLoader().getResource("logback-test.xml") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        installFor(context, System.getProperty(LEVEL_SETTING, System.getenv(LEVEL_SETTING)));
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /**
     * Installs the appender at the level {@code setting} (a POSTERN_LOG_LEVEL value, or null) names;
     * a value that names no level is reported on stderr and WARN is used, so a typo is not silent.
     */
    static void installFor(LoggerContext context, String setting) {
        Level level = levelOf(setting);
        install(context, level == null ? Level.WARN : level);
        if (level == null) {
            context.getLogger(DiagnosticsConfigurator.class).warn(
                    "{}={} is not a level (ERROR, WARN, INFO, DEBUG, TRACE, OFF): WARN is used", LEVEL_SETTING, setting);
        }
    }

    /** The level a POSTERN_LOG_LEVEL value names (any case); WARN when unset or empty; null when it names none. */
    static Level levelOf(String setting) {
        if (setting == null || setting.isBlank()) {
            return Level.WARN;
        }
        return Level.toLevel(setting.trim(), null);
    }

    /** Postern's stderr appender on {@code context}'s root at {@code rootLevel}, Netty at WARN. */
    static void install(LoggerContext context, Level rootLevel) {
        DiagnosticLayout layout = new DiagnosticLayout();
        layout.setContext(context);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(context);
        encoder.setLayout(layout);
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(rootLevel);
        root.addAppender(stderr);
        context.getLogger("io.netty").setLevel(Level.WARN);
    }

    /** {@code postern: %level: %logger{0}: %msg%n}, then the stack trace if there is one, as PatternLayout would. */
    static final class DiagnosticLayout extends LayoutBase<ILoggingEvent> {
        @Override
        public String doLayout(ILoggingEvent event) {
            String logger = event.getLoggerName();
            StringBuilder b = new StringBuilder(96)
                    .append("postern: ").append(event.getLevel()).append(": ")
                    .append(logger, logger.lastIndexOf('.') + 1, logger.length()).append(": ")
                    .append(event.getFormattedMessage()).append(CoreConstants.LINE_SEPARATOR);
            IThrowableProxy thrown = event.getThrowableProxy();
            if (thrown != null) {
                b.append(ThrowableProxyUtil.asString(thrown)); // ends with a line separator
            }
            return b.toString();
        }
    }
}
