package dev.postern.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The diagnostics configuration made in code: Logback finds it as a service, it writes what the
 * old logback.xml wrote ({@code postern: LEVEL: Class: message}, stack traces included), honours the
 * root level it is given with Netty held at WARN, and steps aside for an explicit configuration.
 */
class DiagnosticsConfiguratorTest {

    @Test
    void logbackFindsItAsAService() {
        boolean found = ServiceLoader.load(Configurator.class).stream()
                .anyMatch(p -> p.type() == DiagnosticsConfigurator.class);
        assertTrue(found, "META-INF/services/ch.qos.logback.classic.spi.Configurator names DiagnosticsConfigurator");
    }

    @Test
    void stepsAsideForTheTestsLogbackXml() {
        // The test class path has logback-test.xml: Logback must go on and read it.
        LoggerContext context = new LoggerContext();
        DiagnosticsConfigurator c = new DiagnosticsConfigurator();
        c.setContext(context);
        assertEquals(Configurator.ExecutionStatus.INVOKE_NEXT_IF_ANY, c.configure(context));
        assertFalse(context.getLogger("ROOT").iteratorForAppenders().hasNext(), "nothing installed");
    }

    @Test
    void writesPostfixStyleDiagnosticsOnStderrAtTheGivenLevel() {
        String out = stderrOf(() -> {
            LoggerContext context = standalone();
            DiagnosticsConfigurator.install(context, Level.WARN);
            context.getLogger("dev.postern.maps.TableWatcher").warn("table {} changed", "/etc/postern/relay");
            context.getLogger("dev.postern.maps.TableWatcher").info("not shown at WARN");
            context.getLogger("io.netty.channel.Foo").warn("netty warning");
            context.getLogger("dev.postern.tls.NativeRsaKey").error("failed", new IllegalStateException("boom"));
            context.getLogger("dev.postern.tls.NativeRsaKey").warn("next");
            context.stop();
        });
        String[] lines = out.split("\n");
        assertEquals("postern: WARN: TableWatcher: table /etc/postern/relay changed", lines[0]);
        assertEquals("postern: WARN: Foo: netty warning", lines[1]);
        assertEquals("postern: ERROR: NativeRsaKey: failed", lines[2]);
        assertEquals("java.lang.IllegalStateException: boom", lines[3]);
        assertTrue(lines[4].startsWith("\tat dev.postern.log.DiagnosticsConfiguratorTest"), lines[4]);
        assertFalse(out.contains("not shown"), out);
        assertTrue(out.endsWith("\npostern: WARN: NativeRsaKey: next\n"), out);
        assertFalse(out.contains("\n\n"), "no blank line after a stack trace: " + out);
    }

    @Test
    void debugRootLeavesNettyAtWarn() {
        String out = stderrOf(() -> {
            LoggerContext context = standalone();
            DiagnosticsConfigurator.install(context, Level.DEBUG);
            context.getLogger("dev.postern.smtpd.Smtpd").debug("debug shown");
            context.getLogger("io.netty.util.ResourceLeakDetector").debug("netty debug hidden");
            context.stop();
        });
        assertEquals("postern: DEBUG: Smtpd: debug shown\n", out);
    }

    @Test
    void levelSettingNamesALevelOrIsReported() {
        assertEquals(Level.WARN, DiagnosticsConfigurator.levelOf(null));
        assertEquals(Level.WARN, DiagnosticsConfigurator.levelOf(" "));
        assertEquals(Level.DEBUG, DiagnosticsConfigurator.levelOf("debug"));
        assertEquals(Level.ERROR, DiagnosticsConfigurator.levelOf(" ERROR "));
        assertEquals(Level.OFF, DiagnosticsConfigurator.levelOf("OFF"));
        assertNull(DiagnosticsConfigurator.levelOf("VERBOSE"), "not a level: installFor() warns and uses WARN");
    }

    @Test
    void aSettingThatNamesNoLevelIsReportedAtStartAndWarnIsUsed() {
        String out = stderrOf(() -> {
            LoggerContext context = standalone();
            DiagnosticsConfigurator.installFor(context, "verbose");
            context.getLogger("dev.postern.smtpd.Smtpd").info("not shown at WARN");
            context.getLogger("dev.postern.smtpd.Smtpd").warn("shown");
            context.stop();
        });
        assertEquals("postern: WARN: DiagnosticsConfigurator: POSTERN_LOG_LEVEL=verbose is not a level"
                + " (ERROR, WARN, INFO, DEBUG, TRACE, OFF): WARN is used\n"
                + "postern: WARN: Smtpd: shown\n", out);
    }

    @Test
    void aSettingThatNamesALevelIsUsedWithoutAWord() {
        String out = stderrOf(() -> {
            LoggerContext context = standalone();
            DiagnosticsConfigurator.installFor(context, "info");
            context.getLogger("dev.postern.smtpd.Smtpd").info("shown at INFO");
            context.getLogger("dev.postern.smtpd.Smtpd").debug("not shown at INFO");
            context.stop();
        });
        assertEquals("postern: INFO: Smtpd: shown at INFO\n", out);
    }

    /** A context of its own, as Logback's service provider makes one (with an MDC adapter). */
    private static LoggerContext standalone() {
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new LogbackMDCAdapter());
        return context;
    }

    private static String stderrOf(Runnable r) {
        PrintStream old = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setErr(old);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
