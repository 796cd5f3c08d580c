package dev.postern.smtp;

import dev.postern.config.Config;
import dev.postern.maps.LookupTable;
import dev.postern.maps.Maps;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What the SMTP client reads for SMTP AUTH (Postfix smtp(8) "SASL authentication" parameters).
 * {@code securityOptions} apply to plaintext sessions, {@code tlsSecurityOptions} to sessions
 * encrypted with STARTTLS; both are Cyrus SASL property words as Postfix passes them on.
 * {@code recipientDelimiter} strips address extensions for sender lookups, and a sender in one of
 * {@code localDomains} ($myorigin, $mydestination) is also looked up by its bare local part, as
 * Postfix's mail_addr_find() does.
 */
public record SaslSettings(boolean enabled, List<LookupTable> passwordMaps, List<String> mechanismFilter,
                           Set<String> securityOptions, Set<String> tlsSecurityOptions, boolean senderDependent,
                           boolean softBounce, String recipientDelimiter, Set<String> localDomains) {

    /** SMTP AUTH off: what a configuration without smtp_sasl_auth_enable gets. */
    public static final SaslSettings DISABLED = new SaslSettings(false, List.of(), List.of(),
            Set.of("noplaintext", "noanonymous"), Set.of("noplaintext", "noanonymous"), false, true, "", Set.of());

    /** Postfix's (Cyrus SASL's) security property words; any other word is a configuration error. */
    static final Set<String> OPTION_WORDS = Set.of("noplaintext", "noactive", "nodictionary", "noanonymous",
            "mutual_auth", "forward_secrecy");

    /**
     * A SASL setting that cannot work. Extends IllegalArgumentException like the other client
     * settings errors; {@link #parameter()} lets the caller point at the file and line that set it.
     */
    public static final class Invalid extends IllegalArgumentException {
        private final String parameter;
        private final String problem;
        private final String fix;

        Invalid(String parameter, String problem, String fix) {
            super(problem + "; " + fix);
            this.parameter = parameter;
            this.problem = problem;
            this.fix = fix;
        }

        public String parameter() {
            return parameter;
        }

        public String problem() {
            return problem;
        }

        public String fix() {
            return fix;
        }
    }

    public SaslSettings {
        passwordMaps = List.copyOf(passwordMaps);
        mechanismFilter = List.copyOf(mechanismFilter);
        localDomains = Set.copyOf(localDomains);
        // As written in main.cf, for messages that quote them.
        securityOptions = java.util.Collections.unmodifiableSet(new LinkedHashSet<>(securityOptions));
        tlsSecurityOptions = java.util.Collections.unmodifiableSet(new LinkedHashSet<>(tlsSecurityOptions));
    }

    /** @throws Invalid for a setting that cannot work (named, with the fix) */
    public static SaslSettings from(Config c) {
        Set<String> plain = options(c, "smtp_sasl_security_options");
        Set<String> tls = options(c, "smtp_sasl_tls_security_options");
        List<String> filter = new ArrayList<>();
        for (String f : c.list("smtp_sasl_mechanism_filter")) {
            String name = f.startsWith("!") ? f.substring(1) : f;
            if (!name.matches("[A-Za-z0-9_-]+")) {
                throw new Invalid("smtp_sasl_mechanism_filter", "smtp_sasl_mechanism_filter: \"" + f
                        + "\" is not a mechanism name", "list mechanism names such as plain, login (!name excludes one); "
                        + "tables and /file patterns are not supported");
            }
            filter.add(f.toLowerCase(Locale.ROOT));
        }
        boolean enabled = c.bool("smtp_sasl_auth_enable");
        List<LookupTable> maps = new ArrayList<>();
        if (enabled) {
            List<String> specs = c.list("smtp_sasl_password_maps");
            if (specs.isEmpty()) {
                // Postfix: fatal "specify a password table via the `smtp_sasl_password_maps' configuration parameter"
                throw new Invalid("smtp_sasl_auth_enable", "smtp_sasl_auth_enable = yes, but smtp_sasl_password_maps is empty",
                        "specify a password table via smtp_sasl_password_maps (e.g. hash:/etc/postern/sasl_passwd with "
                                + "lines \"[smtp.isp.example]:587 username:password\")");
            }
            for (String spec : specs) {
                if (fileOf(spec) == null && spec.indexOf(':') > 0) {
                    throw new Invalid("smtp_sasl_password_maps", "smtp_sasl_password_maps: " + spec.substring(0, spec.indexOf(':'))
                            + ": tables would put passwords in main.cf, where postern conf shows them",
                            "keep them in a file readable only by root, e.g. hash:/etc/postern/sasl_passwd (chmod 600)");
                }
                try {
                    maps.add(Maps.open(spec));
                } catch (IllegalArgumentException e) {
                    throw new Invalid("smtp_sasl_password_maps", "smtp_sasl_password_maps: " + withoutQuotes(e.getMessage()),
                            "fix the table or its type:name");
                }
            }
        }
        return new SaslSettings(enabled, maps, filter, plain, tls, c.bool("smtp_sender_dependent_authentication"),
                c.bool("smtp_sasl_auth_soft_bounce"), c.get("recipient_delimiter"), localDomains(c));
    }

    private static Set<String> localDomains(Config c) {
        Set<String> local = new LinkedHashSet<>();
        local.add(c.get("myorigin").toLowerCase(Locale.ROOT));
        c.list("mydestination").forEach(d -> local.add(d.toLowerCase(Locale.ROOT)));
        return local;
    }

    /**
     * A table error quotes the text of the bad line, which in a password table may be the secret
     * itself (a line "user:password" without its key): keep file:line and the reason only.
     */
    static String withoutQuotes(String message) {
        return message == null ? "" : message.replaceAll("\"[^\"]*\"", "(text not shown: it may hold a password)");
    }

    private static Set<String> options(Config c, String parameter) {
        Set<String> words = new LinkedHashSet<>();
        for (String w : c.list(parameter)) {
            String word = w.toLowerCase(Locale.ROOT);
            if (!OPTION_WORDS.contains(word)) {
                throw new Invalid(parameter, parameter + ": unknown security option \"" + w + "\"",
                        "use noplaintext, noanonymous, noactive, nodictionary, mutual_auth or forward_secrecy");
            }
            words.add(word);
        }
        return words;
    }

    /**
     * Whether PLAIN and LOGIN, the only mechanisms Postern implements, may be used. Cyrus SASL
     * allows a mechanism only if it has every property asked for, and PLAIN and LOGIN have just
     * "noanonymous": any other word rules them out (Postfix's default "noplaintext, noanonymous"
     * does, even over TLS, unless smtp_sasl_tls_security_options is relaxed).
     */
    boolean allowsPlaintext(boolean tls) {
        for (String w : tls ? tlsSecurityOptions : securityOptions) {
            if (!w.equals("noanonymous")) {
                return false;
            }
        }
        return true;
    }

    /** The parameter that governs a session with or without TLS, for messages. */
    static String optionsParameter(boolean tls) {
        return tls ? "smtp_sasl_tls_security_options" : "smtp_sasl_security_options";
    }

    /** smtp_sasl_mechanism_filter as Postfix's string_list: first match wins, "!name" excludes; empty keeps all. */
    boolean passes(String mechanism) {
        if (mechanismFilter.isEmpty()) {
            return true;
        }
        String m = mechanism.toLowerCase(Locale.ROOT);
        for (String f : mechanismFilter) {
            boolean not = f.startsWith("!");
            if ((not ? f.substring(1) : f).equals(m)) {
                return !not;
            }
        }
        return false;
    }

    /**
     * Warnings for postern check and start: settings that make SMTP AUTH impossible, and password
     * files that are missing or that other users can read (Postfix says nothing about either).
     */
    public List<String> warnings() {
        if (!enabled) {
            return List.of();
        }
        List<String> warnings = new ArrayList<>();
        if (!allowsPlaintext(true) && !allowsPlaintext(false)) {
            warnings.add("smtp_sasl_auth_enable = yes, but no mechanism Postern implements (PLAIN, LOGIN) is allowed: "
                    + "smtp_sasl_tls_security_options = " + String.join(", ", tlsSecurityOptions)
                    + " rules them out, so every next hop with credentials will be deferred (\"no mechanism available\"); "
                    + "set smtp_sasl_tls_security_options = noanonymous and use TLS (smtp_tls_security_level = encrypt)");
        }
        for (LookupTable t : passwordMaps) {
            Path file = fileOf(t.spec());
            if (file == null) {
                continue;
            }
            if (!Files.exists(file)) {
                warnings.add("smtp_sasl_password_maps: " + t.spec() + ": " + file + " does not exist; mail to next hops "
                        + "will be deferred until it does");
                continue;
            }
            try {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
                if (perms.contains(PosixFilePermission.OTHERS_READ)) {
                    warnings.add("smtp_sasl_password_maps: " + file + " holds passwords but every user can read it ("
                            + PosixFilePermissions.toString(perms) + "); chmod 600 " + file);
                }
            } catch (IOException | UnsupportedOperationException e) {
                // not a POSIX file system: nothing to say
            }
        }
        return warnings;
    }

    /** The file behind a file-based table spec ({@code hash:/path}), else null. */
    private static Path fileOf(String spec) {
        int colon = spec.indexOf(':');
        String type = colon < 0 ? "" : spec.substring(0, colon).toLowerCase(Locale.ROOT);
        return Set.of("hash", "btree", "lmdb", "cdb", "dbm", "sdbm", "texthash", "regexp", "pcre", "cidr").contains(type)
                ? Path.of(spec.substring(colon + 1)) : null;
    }
}
