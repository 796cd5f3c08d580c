package dev.postern.smtpd;

import dev.postern.mail.Reply;
import dev.postern.maps.AddressSearch;
import dev.postern.maps.LookupException;
import dev.postern.maps.LookupTable;
import dev.postern.maps.Maps;
import dev.postern.maps.TableList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * One smtpd_*_restrictions list, compiled at start so a typo is a startup error, not a 451 at
 * RCPT time. Evaluation follows Postfix's smtpd_check.c generic_checks(): restrictions run in
 * order, the first that permits or refuses decides the list, DUNNO moves on, and an exhausted list
 * is DUNNO. Replies are formatted as smtpd_check_reject() and check_table_result() do.
 */
final class RestrictionList {
    private static final Logger LOG = LoggerFactory.getLogger(RestrictionList.class);

    /** Postfix's var_reject_code, var_defer_code, var_relay_code, var_map_reject_code, var_map_defer_code defaults. */
    static final int REJECT_CODE = 554;
    static final int DEFER_CODE = 450;
    static final int RELAY_CODE = 554;
    static final int MAP_REJECT_CODE = 554;
    static final int MAP_DEFER_CODE = 450;

    static final String CLIENT_CLASS = "Client host";
    static final String HELO_CLASS = "Helo command";
    static final String SENDER_CLASS = "Sender address";
    static final String RECIPIENT_CLASS = "Recipient address";
    static final String CCERT_CLASS = "Client certificate";
    static final String DATA_CLASS = "Data command";

    /** Which list this is; gives Postfix's reply wording and the access check a bare type:table means. */
    enum Stage {
        CLIENT(CLIENT_CLASS, "check_client_access"), HELO(HELO_CLASS, "check_helo_access"),
        SENDER(SENDER_CLASS, "check_sender_access"), RELAY(RECIPIENT_CLASS, "check_recipient_access"),
        RECIPIENT(RECIPIENT_CLASS, "check_recipient_access"), DATA(DATA_CLASS, null);

        final String replyClass;
        /** Postfix's def_acl: what a bare {@code type:table} in the list stands for (none for DATA). */
        final String defaultAccess;

        Stage(String replyClass, String defaultAccess) {
            this.replyClass = replyClass;
            this.defaultAccess = defaultAccess;
        }
    }

    /**
     * Per-check state, Postfix's {@code defer_if_permit} and {@code defer_if_reject}: the first
     * reason of each is kept (defer_if()). defer_if_permit carries over from the client, helo and
     * sender stages to RCPT; defer_if_reject is reset at each stage (SMTPD_CHECK_RESET).
     */
    static final class State {
        Reply deferIfPermit;
        Reply deferIfReject;
        /** The restriction that returned the last refusal (its name as configured), for metrics. */
        String refusedBy;
        /** The mail transaction whose message actions access tables set; null outside one (then they do nothing). */
        MessageActions.Transaction tx;
    }

    @FunctionalInterface
    private interface Restriction {
        Verdict apply(CheckContext ctx, State st, String replyName, String replyClass) throws LookupException;
    }

    private final Stage stage;
    private final List<Restriction> restrictions;
    /** The name of each restriction, parallel to {@code restrictions}. */
    private final List<String> names;

    private RestrictionList(Stage stage, List<Restriction> restrictions, List<String> names) {
        this.stage = stage;
        this.restrictions = restrictions;
        this.names = names;
    }

    /** @throws IllegalArgumentException naming the unknown restriction and the fix */
    static RestrictionList compile(Stage stage, String parameter, List<String> tokens, Policy policy) {
        List<String> names = new ArrayList<>();
        List<Restriction> list = compileTokens(stage.defaultAccess, parameter, tokens, policy, names);
        return new RestrictionList(stage, list, List.copyOf(names));
    }

    private static List<Restriction> compileTokens(String defaultAccess, String parameter, List<String> tokens,
                                                   Policy policy, List<String> names) {
        List<Restriction> list = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) {
            String name = tokens.get(i).toLowerCase(Locale.ROOT);
            if (name.indexOf(':') > 0) { // smtpd_check.c: a bare type:table is the list's default access check
                if (defaultAccess == null) {
                    throw new IllegalArgumentException(parameter + ": specify one of (check_client_access, "
                            + "check_helo_access, check_sender_access, check_recipient_access) before \""
                            + tokens.get(i) + "\"");
                }
                name = defaultAccess;
                i--;
            }
            Restriction r;
            switch (name) {
                case "permit" -> r = (ctx, st, rn, rc) -> Verdict.PERMIT;
                case "reject" -> r = (ctx, st, rn, rc) -> reject(st, REJECT_CODE, "5.7.1",
                        "<" + rn + ">: " + rc + " rejected: Access denied");
                case "defer" -> r = (ctx, st, rn, rc) -> reject(st, DEFER_CODE, "4.3.2",
                        "<" + rn + ">: " + rc + " rejected: Try again later");
                case "defer_if_permit" -> r = (ctx, st, rn, rc) -> deferIf(st, true, DEFER_CODE, "4.7.0",
                        "<" + rn + ">: " + rc + " rejected: defer_if_permit requested");
                case "defer_if_reject" -> r = (ctx, st, rn, rc) -> deferIf(st, false, DEFER_CODE, "4.7.0",
                        "<" + rn + ">: " + rc + " rejected: defer_if_reject requested");
                case "dunno", "reject_unauth_pipelining" -> r = (ctx, st, rn, rc) -> Verdict.DUNNO; // pipelining is enforced by the session
                case "permit_mynetworks" -> r = (ctx, st, rn, rc) -> policy.inMynetworks(ctx) ? Verdict.PERMIT : Verdict.DUNNO;
                case "permit_inet_interfaces" -> r = (ctx, st, rn, rc) -> policy.ownAddress(ctx) ? Verdict.PERMIT : Verdict.DUNNO;
                case "permit_sasl_authenticated" -> r = (ctx, st, rn, rc) -> ctx.saslUsername() != null
                        ? Verdict.PERMIT : Verdict.DUNNO; // AUTH EXTERNAL (ExternalAuth) is Postern's only SASL
                case "permit_tls_all_clientcerts" -> r = (ctx, st, rn, rc) -> ctx.tls() && ctx.peer().trusted()
                        ? Verdict.PERMIT : policy.fingerprintListed(ctx) ? Verdict.PERMIT : Verdict.DUNNO;
                case "permit_tls_clientcerts" -> r = (ctx, st, rn, rc) -> policy.fingerprintListed(ctx)
                        ? Verdict.PERMIT : Verdict.DUNNO;
                case "reject_unauth_destination" -> r = (ctx, st, rn, rc) -> ctx.recipient() == null
                        || policy.authorizedDestination(ctx) ? Verdict.DUNNO
                        : reject(st, RELAY_CODE, "5.7.1", "<" + ctx.recipient() + ">: Relay access denied");
                case "defer_unauth_destination" -> r = (ctx, st, rn, rc) -> ctx.recipient() == null
                        || policy.authorizedDestination(ctx) ? Verdict.DUNNO
                        : reject(st, RELAY_CODE - 100, "4.7.1", "<" + ctx.recipient() + ">: Relay access denied");
                case "permit_auth_destination" -> r = (ctx, st, rn, rc) -> ctx.recipient() != null
                        && policy.authorizedDestination(ctx) ? Verdict.PERMIT : Verdict.DUNNO;
                case "check_client_access", "check_helo_access", "check_sender_access", "check_recipient_access",
                        "check_ccert_access" -> {
                    if (i + 1 >= tokens.size()) {
                        throw new IllegalArgumentException(parameter + ": " + name + " needs a table argument, e.g. "
                                + name + " hash:/etc/postern/access");
                    }
                    LookupTable table = Maps.open(tokens.get(++i));
                    r = accessCheck(name, table, policy);
                }
                default -> throw new IllegalArgumentException(parameter + ": unknown restriction \"" + tokens.get(i)
                        + "\"; supported: permit, reject, defer, defer_if_permit, defer_if_reject, dunno, "
                        + "permit_mynetworks, permit_inet_interfaces, permit_tls_all_clientcerts, permit_tls_clientcerts, "
                        + "reject_unauth_destination, defer_unauth_destination, permit_auth_destination, "
                        + "check_{client,helo,sender,recipient,ccert}_access type:table");
            }
            list.add(r);
            names.add(name);
        }
        return List.copyOf(list);
    }

    /** Evaluates with a fresh state (no defer_if_* carried in). */
    Verdict evaluate(CheckContext ctx) {
        return evaluate(ctx, new State());
    }

    Verdict evaluate(CheckContext ctx, State st) {
        return run(restrictions, names, ctx, st, replyName(stage, ctx), stage.replyClass);
    }

    /** generic_checks(): the first non-DUNNO result decides; both defer_if_* raised also ends the list. */
    private static Verdict run(List<Restriction> restrictions, List<String> names, CheckContext ctx, State st,
                               String replyName, String replyClass) {
        for (int i = 0; i < restrictions.size(); i++) {
            if (st.tx != null && st.tx.discarding()) {
                break; // generic_checks(): "if (state->discard != 0) break;"
            }
            Restriction r = restrictions.get(i);
            Verdict v;
            try {
                v = r.apply(ctx, st, replyName, replyClass);
            } catch (LookupException e) {
                LOG.warn("{}", e.getMessage());
                v = temporaryLookupFailure(st, replyName);
            }
            if (!(v instanceof Verdict.Dunno)) {
                if (v instanceof Verdict.Refuse) {
                    st.refusedBy = names.get(i);
                }
                return v;
            }
            if (st.deferIfPermit != null && st.deferIfReject != null) {
                break;
            }
        }
        return Verdict.DUNNO;
    }

    boolean isEmpty() {
        return restrictions.isEmpty();
    }

    /** reject_dict_retry(): {@code 451 4.3.0 <name>: Temporary lookup failure}. */
    private static Verdict temporaryLookupFailure(State st, String replyName) {
        return reject(st, 451, "4.3.0", "<" + replyName + ">: Temporary lookup failure");
    }

    /** reject_server_error(): {@code 451 4.3.5 Server configuration error}. */
    static Verdict serverError(State st) {
        return reject(st, 451, "4.3.5", "Server configuration error");
    }

    /**
     * smtpd_check_reject(): a 5xx while defer_if_reject is raised becomes that deferral; the text is
     * made printable and the whole reply kept within 512 bytes; the enhanced code's class digit is
     * forced to the reply code's ("SMTP has the higher precedence").
     */
    static Verdict reject(State st, int code, String dsn, String text) {
        if (code < 400 || code > 599) {
            LOG.warn("SMTP reply code configuration error: {} {} {}", code, dsn, text);
            return new Verdict.Refuse(Reply.of(450, "4.7.1", "Service unavailable"));
        }
        if (code >= 500 && st.deferIfReject != null) {
            Reply r = st.deferIfReject;
            st.deferIfReject = null;
            return new Verdict.Refuse(r);
        }
        return new Verdict.Refuse(format(code, dsn, text));
    }

    private static Reply format(int code, String dsn, String text) {
        String prefix = code + " " + dsn + " ";
        StringBuilder t = new StringBuilder(text.length());
        for (int i = 0; i < text.length() && prefix.length() + t.length() < 510; i++) {
            char c = text.charAt(i);
            t.append(c < 0x20 || c == 0x7f ? ' ' : c);
        }
        String enhanced = (char) ('0' + code / 100) + dsn.substring(1);
        return Reply.of(code, enhanced, t.toString());
    }

    /** defer_if(): remember the first reason; the restriction itself is DUNNO. */
    private static Verdict deferIf(State st, boolean ifPermit, int code, String dsn, String text) {
        Reply r = format(code, dsn, text);
        if (ifPermit) {
            if (st.deferIfPermit == null) {
                st.deferIfPermit = r;
            }
        } else if (st.deferIfReject == null) {
            st.deferIfReject = r;
        }
        return Verdict.DUNNO;
    }

    /** Postfix's reply name for a list: host[addr] for client checks, else the HELO name or address. */
    private static String replyName(Stage stage, CheckContext ctx) {
        return switch (stage) {
            case CLIENT -> namaddr(ctx);
            case HELO -> ctx.helo();
            case SENDER -> ctx.sender();
            case DATA -> "DATA";
            default -> ctx.recipient();
        };
    }

    private static String namaddr(CheckContext ctx) {
        return ctx.clientName() + "[" + PeerNames.printable(ctx.clientAddress()) + "]";
    }

    /**
     * An access(5) check; which keys are tried, in which order, is {@link AddressSearch}'s (Postfix's
     * check_namadr_access(), check_domain_access(), check_mail_access()): the client's host name
     * and its parent domains, then its address and the address's prefixes; the HELO name and its
     * parents; for sender and recipient the address, the address without its extension, the domain
     * and its parents, {@code user@} (regexp/cidr tables: the entire address only); {@code <>} for
     * the null sender. Parent domains are bare names ({@code example.com} matching subdomains)
     * when smtpd_access_maps is in parent_domain_matches_subdomains (Postfix's default), else
     * {@code .example.com} keys.
     */
    private static Restriction accessCheck(String name, LookupTable table, Policy policy) {
        TableList tables = TableList.of(name, List.of(table));
        return (ctx, st, listName, listClass) -> {
            String replyName;
            String replyClass;
            switch (name) {
                case "check_client_access" -> {
                    replyName = namaddr(ctx);
                    replyClass = CLIENT_CLASS;
                }
                case "check_helo_access" -> {
                    replyName = ctx.helo();
                    replyClass = HELO_CLASS;
                }
                case "check_sender_access" -> {
                    replyName = ctx.sender();
                    replyClass = SENDER_CLASS;
                }
                case "check_recipient_access" -> {
                    replyName = ctx.recipient();
                    replyClass = RECIPIENT_CLASS;
                }
                default -> {
                    replyName = ctx.peer().subjectCn();
                    replyClass = CCERT_CLASS;
                }
            }
            Optional<TableList.Match> m;
            try {
                m = accessLookup(name, tables, ctx, policy);
            } catch (LookupException e) {
                // Postfix's check_access()/check_mail_access(): a table error acts as if the table
                // had answered this (so "<name>: Recipient address rejected: Server configuration error").
                LOG.warn("{}", e.getMessage());
                return tableResult(st, ctx, table.spec(), null, "451 4.3.5 Server configuration error", replyName,
                        replyClass, policy);
            }
            if (m.isPresent()) {
                return tableResult(st, ctx, table.spec(), m.get().key(), m.get().value(), replyName, replyClass, policy);
            }
            return Verdict.DUNNO;
        };
    }

    private static Optional<TableList.Match> accessLookup(String name, TableList tables, CheckContext ctx, Policy policy)
            throws LookupException {
        boolean parentStyle = policy.accessParentStyle();
        switch (name) {
            case "check_client_access" -> {
                // check_namadr_access(): the host name first, then the address
                Optional<TableList.Match> m = ctx.clientName() == null ? Optional.empty()
                        : AddressSearch.first(tables, AddressSearch.hostNameKeys(ctx.clientName(), parentStyle));
                return m.isPresent() ? m
                        : AddressSearch.first(tables,
                        AddressSearch.hostAddressKeys(PeerNames.printable(ctx.clientAddress())));
            }
            case "check_helo_access" -> {
                return ctx.helo() == null ? Optional.empty() : AddressSearch.first(tables,
                        AddressSearch.hostNameKeys(ctx.helo(), parentStyle));
            }
            case "check_sender_access", "check_recipient_access" -> {
                String address = name.equals("check_sender_access") ? ctx.sender() : ctx.recipient();
                if (address == null) {
                    return Optional.empty();
                }
                if (address.isEmpty()) {
                    return tables.find("<>", false); // smtpd_null_access_lookup_key
                }
                return policy.addressSearch().find(tables, address, AddressSearch.access(parentStyle));
            }
            default -> {
                // check_ccert_access(): default search order cert_fingerprint, pkey_fingerprint
                if (!ctx.tls() || !ctx.peer().presented()) {
                    return Optional.empty();
                }
                Optional<TableList.Match> m = tables.find(ctx.peer().certFingerprint(), false);
                return m.isPresent() ? m : tables.find(ctx.peer().pkeyFingerprint(), false);
            }
        }
    }

    /**
     * check_table_result() in Postfix's smtpd_check.c: the access(5) action of a table entry
     * ({@code key} is the lookup key that found it, Postfix's {@code datum}, for warnings).
     * REJECT/DEFER/NNN take an optional RFC 3463 code at the start of the text (dsn_split()), which
     * becomes the reply's enhanced code instead of being repeated in the text. HOLD, DISCARD,
     * REDIRECT, BCC, FILTER and PREPEND act on the whole message ({@link MessageActions}); outside a
     * mail transaction (no {@code st.tx}) they are skipped with a warning. HANGUP ends the session
     * without a reply. INFO and WARN are logged with the session's context.
     */
    static Verdict tableResult(State st, CheckContext ctx, String table, String key, String value, String replyName,
                               String replyClass, Policy policy) {
        String v = value.strip();
        int sp = 0;
        while (sp < v.length() && v.charAt(sp) != ' ' && v.charAt(sp) != '\t') {
            sp++;
        }
        String cmd = v.substring(0, sp);
        String text = v.substring(sp).strip();
        String word = cmd.toUpperCase(Locale.ROOT);
        switch (word) {
            case "DUNNO":
                return Verdict.DUNNO;
            case "REJECT":
                return tableReject(st, MAP_REJECT_CODE, "5.7.1", text, "Access denied", replyName, replyClass);
            case "DEFER":
                return tableReject(st, MAP_DEFER_CODE, "4.7.1", text, "Access denied", replyName, replyClass);
            case "DEFER_IF_PERMIT", "DEFER_IF_REJECT": {
                String[] split = dsnSplit("4.7.1", text);
                return deferIf(st, word.equals("DEFER_IF_PERMIT"), MAP_DEFER_CODE, dsnFix(split[0], replyClass),
                        "<" + replyName + ">: " + replyClass + " rejected: "
                                + (split[1].isEmpty() ? "Service unavailable" : split[1]));
            }
            case "INFO", "WARN":
                if (st.tx != null) {
                    st.tx.whatsup(word.toLowerCase(Locale.ROOT), text, ctx.recipient()); // log_whatsup()
                } else {
                    LOG.info("{}: {}: {}", word.toLowerCase(Locale.ROOT), replyName, text);
                }
                return Verdict.DUNNO;
            case "HANGUP":
                if (st.tx != null) {
                    st.tx.whatsup("hangup", text, ctx.recipient());
                }
                return Verdict.HANGUP;
            case "HOLD", "DISCARD", "REDIRECT", "BCC", "FILTER", "PREPEND":
                return messageAction(st, ctx, word, text, table, key, replyName, replyClass);
            default:
                break;
        }
        if (v.chars().allMatch(Character::isDigit) && !v.isEmpty()) {
            return Verdict.PERMIT; // "All-numeric result probably means OK"
        }
        if (cmd.length() == 3 && !text.isEmpty() && (cmd.charAt(0) == '4' || cmd.charAt(0) == '5')
                && Character.isDigit(cmd.charAt(1)) && Character.isDigit(cmd.charAt(2))) {
            return tableReject(st, Integer.parseInt(cmd), cmd.charAt(0) + ".7.1", text, "Access denied", replyName,
                    replyClass);
        }
        if (word.equals("OK") || word.equals("RELAY")) {
            return Verdict.PERMIT;
        }
        if (v.indexOf(':') >= 0) {
            LOG.warn("access table {} has entry with lookup table: {}", table, v);
            LOG.warn("do not specify lookup tables inside SMTPD access maps");
            return serverError(st);
        }
        // Restriction names as the value, evaluated with this table's reply name and class.
        List<String> tokens = new ArrayList<>();
        for (String t : v.split("[,\\s]+")) {
            if (!t.isEmpty()) {
                tokens.add(t);
            }
        }
        if (tokens.isEmpty()) {
            LOG.warn("access table {} entry has empty value", table);
            return Verdict.PERMIT;
        }
        List<Restriction> rs;
        List<String> names = new ArrayList<>();
        try {
            rs = compileTokens(null, table, tokens, policy, names);
        } catch (IllegalArgumentException e) {
            LOG.warn("unknown smtpd restriction in access table {}: \"{}\"", table, v);
            return serverError(st);
        }
        return run(rs, names, ctx, st, replyName, replyClass); // the caller's name wins for metrics
    }

    /** check_table_result()'s actions that cleanup carries out (can_delegate_action(), not_in_client_helo()). */
    private static Verdict messageAction(State st, CheckContext ctx, String word, String text, String table, String key,
                                         String replyName, String replyClass) {
        MessageActions.Transaction tx = st.tx;
        if (tx == null) {
            LOG.warn("access table {}: action {} is unavailable outside a mail transaction", table, word);
            return Verdict.DUNNO;
        }
        return switch (word) {
            case "HOLD" -> MessageActions.hold(tx, ctx, text, replyName, replyClass);
            case "DISCARD" -> MessageActions.discard(tx, ctx, text, replyName, replyClass);
            case "PREPEND" -> MessageActions.prepend(tx, text, table, key);
            case "FILTER" -> MessageActions.filter(tx, ctx, text, table, key, replyName, replyClass);
            default -> MessageActions.redirectOrBcc(tx, ctx, word, text, table, key, replyName, replyClass);
        };
    }

    private static Verdict tableReject(State st, int code, String defaultDsn, String text, String defaultText,
                                       String replyName, String replyClass) {
        String[] split = dsnSplit(defaultDsn, text);
        return reject(st, code, dsnFix(split[0], replyClass), "<" + replyName + ">: " + replyClass + " rejected: "
                + (split[1].isEmpty() ? defaultText : split[1]));
    }

    /** dsn_split(): an optional leading enhanced status code (dsn_valid()), else the default; then the free text. */
    static String[] dsnSplit(String defaultDsn, String text) {
        String t = text.strip();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^([245]\\.\\d{1,3}\\.\\d{1,3})(?:\\s+|$)").matcher(t);
        if (m.find()) {
            return new String[] {m.group(1), t.substring(m.end()).strip()};
        }
        return new String[] {defaultDsn, t};
    }

    /**
     * smtpd_dsn_fix(): an address status X.1.Y is mapped to fit what is rejected (sender vs
     * recipient); any other class gets X.0.0... as Postfix does ("4.0.0", class digit fixed later).
     */
    static String dsnFix(String status, String replyClass) {
        if (!status.matches("\\d\\.1\\.\\d+")) {
            return status;
        }
        String micro = status.substring(4);
        String[][] map = {{"1", "4.1.7", "4.1.1"}, {"2", "4.1.8", "4.1.2"}, {"3", "4.1.7", "4.1.3"},
            {"4", "4.1.7", "4.1.4"}, {"5", "4.1.0", "4.1.5"}, {"6", "4.1.7", "4.1.6"}, {"7", "4.1.7", "4.1.3"},
            {"8", "4.1.8", "4.1.2"}};
        String sender = "4.1.0";
        String rcpt = "4.1.0";
        for (String[] e : map) {
            if (e[0].equals(micro)) {
                sender = e[1];
                rcpt = e[2];
                break;
            }
        }
        if (replyClass.equals(SENDER_CLASS)) {
            return sender;
        }
        if (replyClass.equals(RECIPIENT_CLASS)) {
            return rcpt;
        }
        return "4.0.0";
    }
}
