/**
 * config: main.cf and master.cf read as Postfix reads them, checked more loudly than Postfix does.
 *
 * <h2>Summary</h2>
 * {@link dev.postern.config.ConfigLoader#load} reads a configuration directory into an immutable
 * {@link dev.postern.config.Config} (main.cf values over {@link dev.postern.config.Params}
 * defaults, {@code $name}-expanded on access; {@code forService} adds one master.cf service's
 * {@code -o} overrides) and the warnings found on the way, each {@code file:line: text}.
 * {@link dev.postern.config.MainCfEditor} is {@code postconf -e}.
 *
 * <h2>Description</h2>
 * <ul>
 * <li>Syntax: postconf(5) for main.cf (continuation lines start with whitespace; the last setting
 * of a name wins, with a warning), master(5) for master.cf, plus the trailing backslashes and
 * loose {@code -o name= words} of write-ups like the seed's.</li>
 * <li>Every parameter has one row in {@code Params}: Postfix's name, type, default (compatibility
 * level dependent defaults written as Postfix writes them), Postfix's bounds and a status:
 * implemented; built in (Postfix's purpose met by Postern's design, the doc says how); fixed
 * (Postern always behaves as one value); or not implemented. A not-implemented parameter set in
 * main.cf or with {@code -o} gives {@code main.cf:N: parameter "x" is not implemented; it has no
 * effect} at check and start, so no setting is ignored in silence. A master.cf {@code -o} for a
 * parameter smtpd does not read per service ({@code Params.perService}: relayhost, syslog_name ...)
 * is warned about too. A {@code unix} service running {@code smtp} under a name of its own is a
 * delivery transport: its {@code -o} are checked the same way, except that an unknown name is an
 * error, and one the SMTP client does not read ({@code Params.perTransport}) is warned about; for
 * each such transport T, {@code T_destination_concurrency_limit} is declared (and Postfix's other
 * {@code T_*} transport parameters are warned about as not implemented, {@code TransportParams}).
 * {@code $service_name} and {@code $process_name} expand in a service's configuration as in
 * Postfix. docs/parameters.md is generated from the table.</li>
 * <li>Values are validated at load, after expansion, never at first use: booleans yes/no, whole
 * numbers, and times with units s, m, h, d, w where a bare number takes the unit of the
 * parameter's default, as in Postfix ({@code maximal_queue_lifetime = 5} is five days,
 * {@code smtpd_timeout = 300} five minutes); words outside Postfix's name tables (mynetworks_style,
 * inet_protocols, smtpd_forbid_bare_newline, smtpd_tls_fingerprint_digest, smtpd_tls_security_level)
 * and numbers and times outside Postfix's bounds (e.g.
 * {@code smtpd_timeout} at least 1s, {@code maximal_queue_lifetime} at most 100d) are errors naming
 * file:line and the fix.</li>
 * <li>Unknown names are warned about with the closest known name, unless another value references
 * them ({@code $my_relays}). The mail relay safety rule and TLS settings that cancel each other
 * out are checked per smtpd service.</li>
 * </ul>
 *
 * <h2>Parameters</h2>
 * All of them, as declarations; this package reads compatibility_level, config_directory,
 * mail_version, myhostname and mydomain (their computed defaults) and the smtpd TLS level
 * parameters (smtpd_tls_security_level, smtpd_use_tls, smtpd_enforce_tls).
 *
 * <h2>Security</h2>
 * Reads the configuration directory only; writes main.cf only for {@code postern conf -e}, through
 * a temp file, fsync and rename, keeping the file's permissions, under a lock on
 * {@code .main.cf.lock} in the same directory (created once, never removed).
 *
 * <h2>Diagnostics</h2>
 * {@link dev.postern.config.ConfigException}: {@code file:line: problem; fix}. Warnings are
 * returned in {@link dev.postern.config.LoadedConfig#warnings()}; check prints and start logs them.
 */
package dev.postern.config;
