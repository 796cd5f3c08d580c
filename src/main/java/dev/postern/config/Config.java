package dev.postern.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The effective configuration: main.cf values over {@link Params} defaults, optionally with one
 * master.cf service's {@code -o} overrides on top. Immutable. Values are {@code $name}-expanded on
 * access. Typed getters throw {@link IllegalArgumentException} only for values that
 * {@link ConfigLoader} already validated, i.e. never in practice.
 */
public interface Config {
    /** Expanded value, or the parameter's default when not set. Unknown names give "". */
    String get(String name);

    /** The value as written (main.cf or -o), or the default, without $name expansion (postconf without -x). */
    String raw(String name);

    boolean bool(String name);

    int integer(String name);

    long size(String name);

    Duration duration(String name);

    /** Comma- and/or whitespace-separated list, expanded; empty list for an empty value. */
    List<String> list(String name);

    /** True when main.cf or an -o override sets the name. */
    boolean isSet(String name);

    /** "file:line" where the value came from, or "default". */
    String origin(String name);

    /** Directory holding main.cf and master.cf ($config_directory). */
    Path configDirectory();

    /** The master.cf services, in file order. */
    List<MasterService> services();

    /** This configuration with one service's -o overrides applied. */
    Config forService(MasterService service);

    /**
     * This configuration as Postfix's master runs a service under stress ({@code -o stress=yes}
     * when all its processes are busy): Postfix's defaults such as
     * {@code smtpd_timeout = ${stress?{10}:{300}}s} then give their stress values.
     */
    Config underStress();

    /** Names set explicitly (postconf -n), with their raw unexpanded values, in name order. */
    Map<String, String> explicitValues();
}
