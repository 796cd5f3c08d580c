package dev.postern.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * master.cf syntax (master(5)): {@code service type private unpriv chroot wakeup maxproc command
 * args}, continued on lines that start with whitespace, {@code -o name=value} overrides (also
 * {@code -o { name = value }}). For users who paste from write-ups like the seed, a trailing
 * backslash also continues a line, and words after an {@code -o name=} that are not options belong
 * to that value ({@code -o smtpd_recipient_restrictions= permit_mynetworks, ..., reject}).
 * Postfix's other standard services are accepted with a one-line note each: built into Postern,
 * or not supported (yet), so that a user's existing master.cf loads as it is. A {@code unix}
 * service running {@code smtp} is a delivery transport ({@link MasterService#isSmtpTransport()}):
 * one of the user's own, or the line of the built-in {@code smtp} or {@code relay} transport,
 * whose -o options then apply to it as Postfix applies them. The other built-in transports'
 * lines ({@code error}, {@code retry}, {@code local}) are accepted with a note. The {@code pickup}
 * line ({@link MasterService#isPickup()}) is kept for its -o options, which Postern's pickup
 * applies (content_filter, syslog_name, ...); one at most. A {@code cleanup} line
 * ({@link MasterService#isCleanup()}) is kept for its -o header and body checks, which apply to
 * the mail of the services naming it in cleanup_service_name.
 */
final class MasterCfParser {
    /** Postfix daemons whose work Postern does inside its one process (by master.cf command). */
    private static final Set<String> BUILT_IN = Set.of("cleanup", "qmgr", "oqmgr", "tlsmgr", "trivial-rewrite",
            "smtp", "anvil", "scache", "postlogd", "proxymap", "pickup");
    /** Postfix daemons Postern does not have (yet). */
    private static final Set<String> NOT_SUPPORTED = Set.of("bounce", "verify", "flush", "showq", "error",
            "discard", "local", "virtual", "lmtp", "postscreen", "dnsblog", "tlsproxy", "pipe", "spawn", "qmqpd");
    private static final Set<String> INET_COMMANDS = Set.of("smtpd", "postscreen", "qmqpd", "tlsproxy");
    /** A transport name must survive transport_maps' {@code transport:nexthop} and a log tag. */
    private static final java.util.regex.Pattern TRANSPORT_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");

    private MasterCfParser() {}

    /** One logical master.cf line: where it starts and its words (continuations joined, backslashes removed). */
    record Row(int line, List<String> words) {
    }

    static List<MasterService> parse(Path file, List<String> warnings) throws ConfigException {
        String name = file.getFileName().toString();
        List<MasterService> out = new ArrayList<>();
        Map<String, MasterService> transports = new LinkedHashMap<>();
        Map<String, MasterService> cleanups = new LinkedHashMap<>();
        Map<String, MasterService> unixServices = new LinkedHashMap<>();
        MasterService pickup = null;
        for (Row row : rows(file)) {
            MasterService s = service(name, row.line(), row.words(), warnings);
            if (s == null) {
                continue;
            }
            if (s.isPickup()) {
                // Postfix would run both, and whichever woke first would take a file: its -o (a
                // content_filter or none) would apply to some local mail and not to the rest.
                if (pickup != null) {
                    throw new ConfigException(name, row.line(), "a second pickup service (also at line " + pickup.line()
                            + "): local mail would get either line's -o options", "keep one pickup line");
                }
                pickup = s;
            }
            if (s.type().equals("unix")) {
                // One name, one unix service: Postfix's master keeps only the last of two such lines
                // (master_conf.c), so a cleanup line named like a transport would silently remove one.
                MasterService other = unixServices.putIfAbsent(s.name(), s);
                if (other != null && !other.command().equals(s.command())) {
                    throw new ConfigException(name, row.line(), "service " + s.name() + " (unix) is defined twice: line "
                            + other.line() + " runs " + other.command() + ", this line " + s.command(),
                            "rename one of the two services");
                }
                if (s.isCleanup() && MasterService.BUILT_IN_TRANSPORTS.contains(s.name())) {
                    throw new ConfigException(name, row.line(), "cleanup service " + s.name() + " has the name of the built-in "
                            + s.name() + " transport", "give the cleanup service another name");
                }
            }
            if (s.isCleanup()) {
                MasterService before = cleanups.putIfAbsent(s.name(), s);
                if (before != null) {
                    throw new ConfigException(name, row.line(), "duplicate cleanup service " + s.name() + " (also at line "
                            + before.line() + ")", "remove one of the two lines or rename one service");
                }
            }
            if (s.isSmtpTransport()) {
                MasterService before = transports.putIfAbsent(s.name(), s);
                if (before != null) { // Postfix's master refuses a duplicate service name and type too
                    throw new ConfigException(name, row.line(), "duplicate transport " + s.name() + " (also at line "
                            + before.line() + ")", "remove one of the two lines or rename one transport");
                }
            }
            out.add(s);
        }
        return out;
    }

    static List<Row> rows(Path file) throws ConfigException {
        String name = file.getFileName().toString();
        List<String> lines = ConfigLines.read(file, name);
        List<StringBuilder> logical = new ArrayList<>();
        List<Integer> starts = new ArrayList<>();
        boolean backslash = false;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            boolean ends = trimmed.endsWith("\\");
            if (ends) {
                trimmed = trimmed.substring(0, trimmed.length() - 1).strip();
            }
            if ((Character.isWhitespace(line.charAt(0)) || backslash) && !logical.isEmpty()) {
                logical.get(logical.size() - 1).append(' ').append(trimmed);
            } else if (Character.isWhitespace(line.charAt(0))) {
                throw new ConfigException(name, i + 1, "continuation line without a service line before it",
                        "remove the leading whitespace");
            } else {
                logical.add(new StringBuilder(trimmed));
                starts.add(i + 1);
            }
            backslash = ends;
        }
        List<Row> out = new ArrayList<>();
        for (int k = 0; k < logical.size(); k++) {
            out.add(new Row(starts.get(k), Lists.splitWords(logical.get(k).toString())));
        }
        return out;
    }

    /** Why a standard (or unknown) non-smtpd service line is skipped, in a few words. */
    private static String ignoredNote(String service, String type, String command) {
        if (command.equals("smtpd")) {
            return "smtpd of type " + type + " (e.g. behind postscreen) is not supported, only inet";
        }
        if (MasterService.BUILT_IN_SMTP_TRANSPORTS.contains(service) && !type.equals("inet")) {
            // e.g. relay unix ... lmtp: Postern's relay transport can only be its SMTP client
            return "service '" + service + "' (" + command + (type.equals("unix") ? "" : ", type " + type)
                    + ") is not supported: the " + service + " transport is always Postern's SMTP client (a line \"" + service
                    + " unix - - n - - smtp\" gives it -o options; without one it uses main.cf's smtp_* settings)";
        }
        if (BUILT_IN.contains(command)) {
            return "service '" + service + "' (" + command + ") is built into Postern";
        }
        if (NOT_SUPPORTED.contains(command)) {
            return "service '" + service + "' (" + command + ") is not supported" + (type.equals("inet") ? "; use an smtpd line" : "");
        }
        return "service '" + service + "' (" + command + ") is not a Postfix daemon Postern knows";
    }

    private static MasterService service(String file, int line, List<String> words, List<String> warnings)
            throws ConfigException {
        if (words.size() < 8) {
            throw new ConfigException(file, line, "a service line needs 8 fields (service type private unpriv chroot "
                    + "wakeup maxproc command), found " + words.size(), "see the example in master.cf(5)");
        }
        String service = words.get(0);
        String type = words.get(1);
        String command = words.get(7);
        // smtp and relay lines too: Postfix applies their -o (Debian's relay line sets syslog_name=postfix/$service_name)
        boolean transport = type.equals("unix") && command.equals("smtp")
                && (!MasterService.BUILT_IN_TRANSPORTS.contains(service) || MasterService.BUILT_IN_SMTP_TRANSPORTS.contains(service));
        if (transport && !TRANSPORT_NAME.matcher(service).matches()) {
            throw new ConfigException(file, line, "transport name \"" + service + "\" cannot be used in transport_maps",
                    "use letters, digits, '_', '.' and '-' only");
        }
        // Postern's pickup applies its line's -o (a content_filter for local submissions, as Postfix's
        // pickup.c writes it). fifo is the type of pre-2.x stock master.cf files, unix of later ones.
        boolean pickup = command.equals("pickup") && (type.equals("unix") || type.equals("fifo"));
        // A cleanup line is kept for its -o (header and body checks), which apply to the mail of
        // the services that name it in cleanup_service_name.
        boolean cleanup = command.equals("cleanup") && type.equals("unix");
        if (!transport && !pickup && !cleanup && (!type.equals("inet") || !command.equals("smtpd"))) {
            if (type.equals("inet") && !INET_COMMANDS.contains(command)) {
                throw new ConfigException(file, line, "inet service " + service + " runs unknown command \"" + command + "\"",
                        "Postern serves SMTP with smtpd");
            }
            List<String> dropped = overrideNames(words);
            warnings.add(file + ":" + line + ": " + ignoredNote(service, type, command)
                    + (dropped.isEmpty() ? "" : "; its -o " + String.join(", ", dropped) + " take no effect"
                    + (BUILT_IN.contains(command) && !MasterService.BUILT_IN_SMTP_TRANSPORTS.contains(service)
                    ? " (set what applies in main.cf)" : ""))
                    + "; line ignored");
            return null;
        }
        Map<String, String> overrides = new LinkedHashMap<>();
        List<String> args = new ArrayList<>();
        String lastOverride = null;
        for (int i = 8; i < words.size(); i++) {
            String w = words.get(i);
            if (w.equals("-o") || w.startsWith("-o")) {
                String spec = w.equals("-o") ? (i + 1 < words.size() ? words.get(++i) : "") : w.substring(2);
                if (spec.startsWith("{")) {
                    if (!spec.endsWith("}")) { // Postfix's master refuses it too ("missing '}'")
                        throw new ConfigException(file, line, "-o " + spec + ": missing '}'", "close it: -o { name = value }");
                    }
                    spec = spec.substring(1, spec.length() - 1).strip();
                }
                int eq = spec.indexOf('=');
                if (eq <= 0) {
                    throw new ConfigException(file, line, "-o needs name=value, got \"" + spec + "\"",
                            "write -o name=value or -o { name = value }");
                }
                lastOverride = spec.substring(0, eq).strip();
                overrides.put(lastOverride, spec.substring(eq + 1).strip());
            } else if (lastOverride != null && !w.startsWith("-")) {
                String v = overrides.get(lastOverride);
                overrides.put(lastOverride, v.isEmpty() ? w : v + " " + w);
            } else {
                args.add(w);
                lastOverride = null;
            }
        }
        if (transport) {
            transportNotes(file, line, service, words.get(6), args, warnings);
        }
        if (cleanup && !words.get(2).equals("n")) {
            warnings.add(file + ":" + line + ": cleanup service " + service + ": the private column is " + words.get(2)
                    + "; smtpd and pickup reach a cleanup service by its public name, so Postfix would fail every"
                    + " message sent through it: write n there (Postern ignores the column)");
        }
        if ((pickup || cleanup) && !args.isEmpty()) { // e.g. -v (verbose logging): Postern has no such switches
            warnings.add(file + ":" + line + ": " + (pickup ? "pickup" : "cleanup service " + service) + ": command arguments "
                    + String.join(" ", args) + " are ignored; only -o name=value options are applied");
        }
        // The pickup line's private, unpriv, chroot, wakeup and maxproc columns are not reported: Postern
        // never chroots, runs its one pickup inside the daemon (maxproc 1, as Postfix's stock line) and
        // watches maildrop/ itself (file-system events, and a scan every 60 s as the stock line's
        // wakeup), so a wakeup timer could only make pickup slower; none of them changes what happens to the mail.

        return new MasterService(service, type, command, overrides, args, words.get(6), file, line);
    }

    /** The parameter names of a line's {@code -o name=value} options, so that an ignored line names what it drops. */
    private static List<String> overrideNames(List<String> words) {
        List<String> names = new ArrayList<>();
        for (int i = 8; i < words.size(); i++) {
            String w = words.get(i);
            if (w.startsWith("-o")) {
                String spec = w.equals("-o") ? (i + 1 < words.size() ? words.get(++i) : "") : w.substring(2);
                spec = spec.startsWith("{") ? spec.substring(1).strip() : spec;
                int eq = spec.indexOf('=');
                names.add((eq < 0 ? spec : spec.substring(0, eq)).strip());
            }
        }
        return names;
    }

    /**
     * What a transport line asks for that Postern does not do: reported, never ignored in silence.
     * Its maxproc is done (qmgr caps the transport's deliveries at once; Plan refuses a bad value).
     */
    private static void transportNotes(String file, int line, String service, String maxproc, List<String> args,
                                       List<String> warnings) {
        if (!args.isEmpty()) {
            warnings.add(file + ":" + line + ": transport " + service + ": command arguments " + String.join(" ", args)
                    + " are ignored; only -o name=value options are applied");
        }
    }
}
