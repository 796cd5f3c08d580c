package dev.postern.smtpd;

import dev.postern.mail.Reply;
import dev.postern.maps.LookupException;
import dev.postern.maps.LookupTable;
import dev.postern.maps.Maps;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * One smtpd_*_restrictions list, compiled at start so a typo is a startup error, not a 451 at
 * RCPT time. Evaluation follows Postfix: restrictions run in order, the first that permits or
 * refuses decides the list, DUNNO moves on, and an exhausted list is DUNNO.
 */
final class RestrictionList {
    /** Which list this is; gives Postfix's reply wording ("Recipient address rejected"). */
    enum Stage {
        CLIENT("Client host"), HELO("Helo command"), SENDER("Sender address"), RELAY("Recipient address"),
        RECIPIENT("Recipient address"), DATA("Data command");

        final String replyClass;

        Stage(String replyClass) {
            this.replyClass = replyClass;
        }
    }

    @FunctionalInterface
    private interface Restriction {
        Verdict apply(CheckContext ctx) throws LookupException;
    }

    private final Stage stage;
    private final List<Restriction> restrictions;

    private RestrictionList(Stage stage, List<Restriction> restrictions) {
        this.stage = stage;
        this.restrictions = restrictions;
    }

    /** @throws IllegalArgumentException naming the unknown restriction and the fix */
    static RestrictionList compile(Stage stage, String parameter, List<String> tokens, Policy policy) {
        List<Restriction> list = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) {
            String name = tokens.get(i).toLowerCase(Locale.ROOT);
            Restriction r;
            switch (name) {
                case "permit" -> r = ctx -> Verdict.PERMIT;
                case "reject" -> r = ctx -> refuse(stage, ctx, 554, "5.7.1", "Access denied");
                case "defer" -> r = ctx -> refuse(stage, ctx, 450, "4.7.1", "Access denied");
                case "dunno", "reject_unauth_pipelining" -> r = ctx -> Verdict.DUNNO; // pipelining is enforced by the session
                case "permit_mynetworks" -> r = ctx -> policy.inMynetworks(ctx) ? Verdict.PERMIT : Verdict.DUNNO;
                case "permit_sasl_authenticated" -> r = ctx -> Verdict.DUNNO; // no SASL in Postern
                case "permit_tls_all_clientcerts" -> r = ctx -> ctx.tls() && ctx.peer().trusted()
                        ? Verdict.PERMIT : policy.fingerprintListed(ctx) ? Verdict.PERMIT : Verdict.DUNNO;
                case "permit_tls_clientcerts" -> r = ctx -> policy.fingerprintListed(ctx) ? Verdict.PERMIT : Verdict.DUNNO;
                case "reject_unauth_destination" -> r = ctx -> policy.authorizedDestination(ctx) ? Verdict.DUNNO
                        : relayDenied(ctx, 554, "5.7.1");
                case "defer_unauth_destination" -> r = ctx -> policy.authorizedDestination(ctx) ? Verdict.DUNNO
                        : relayDenied(ctx, 454, "4.7.1");
                case "permit_auth_destination" -> r = ctx -> policy.authorizedDestination(ctx) ? Verdict.PERMIT : Verdict.DUNNO;
                case "check_client_access", "check_helo_access", "check_sender_access", "check_recipient_access",
                        "check_ccert_access" -> {
                    if (i + 1 >= tokens.size()) {
                        throw new IllegalArgumentException(parameter + ": " + name + " needs a table argument, e.g. "
                                + name + " hash:/etc/postern/access");
                    }
                    LookupTable table = Maps.open(tokens.get(++i));
                    r = accessCheck(stage, name, table);
                }
                default -> throw new IllegalArgumentException(parameter + ": unknown restriction \"" + tokens.get(i)
                        + "\"; supported: permit, reject, defer, permit_mynetworks, permit_tls_all_clientcerts, "
                        + "permit_tls_clientcerts, reject_unauth_destination, defer_unauth_destination, "
                        + "permit_auth_destination, check_{client,helo,sender,recipient,ccert}_access type:table");
            }
            list.add(r);
        }
        return new RestrictionList(stage, List.copyOf(list));
    }

    Verdict evaluate(CheckContext ctx) {
        for (Restriction r : restrictions) {
            Verdict v;
            try {
                v = r.apply(ctx);
            } catch (LookupException e) {
                return new Verdict.Refuse(Reply.of(451, "4.3.0", subject(stage, ctx) + ": Temporary lookup failure"));
            }
            if (!(v instanceof Verdict.Dunno)) {
                return v;
            }
        }
        return Verdict.DUNNO;
    }

    boolean isEmpty() {
        return restrictions.isEmpty();
    }

    private static Verdict relayDenied(CheckContext ctx, int code, String enhanced) {
        return new Verdict.Refuse(Reply.of(code, enhanced, "<" + ctx.recipient() + ">: Relay access denied"));
    }

    private static Verdict refuse(Stage stage, CheckContext ctx, int code, String enhanced, String text) {
        return new Verdict.Refuse(Reply.of(code, enhanced, subject(stage, ctx) + ": " + stage.replyClass
                + " rejected: " + text));
    }

    /** Postfix's reply name: the address in angle brackets, or host[addr] for client checks. */
    private static String subject(Stage stage, CheckContext ctx) {
        return switch (stage) {
            case CLIENT -> ctx.clientName() + "[" + ctx.clientAddress().getHostAddress() + "]";
            case HELO -> "<" + ctx.helo() + ">";
            case SENDER -> "<" + ctx.sender() + ">";
            case DATA -> "<DATA>";
            default -> "<" + ctx.recipient() + ">";
        };
    }

    private static Restriction accessCheck(Stage stage, String name, LookupTable table) {
        return ctx -> {
            List<String> keys = switch (name) {
                case "check_client_access" -> List.of(ctx.clientAddress().getHostAddress(), ctx.clientName());
                case "check_helo_access" -> ctx.helo() == null ? List.of() : List.of(ctx.helo());
                case "check_sender_access" -> ctx.sender() == null ? List.of() : addressKeys(ctx.sender());
                case "check_recipient_access" -> ctx.recipient() == null ? List.of() : addressKeys(ctx.recipient());
                default -> ctx.tls() && ctx.peer().presented()
                        ? List.of(ctx.peer().pkeyFingerprint(), ctx.peer().certFingerprint()) : List.of();
            };
            for (String key : keys) {
                Optional<String> v = table.lookup(key);
                if (v.isPresent()) {
                    return accessAction(stage, ctx, v.get().strip());
                }
            }
            return Verdict.DUNNO;
        };
    }

    /** access(5) keys for an address: the address, the domain, then the local part with '@'. */
    private static List<String> addressKeys(String address) {
        if (address.isEmpty()) {
            return List.of("<>");
        }
        int at = address.lastIndexOf('@');
        if (at < 0) {
            return List.of(address);
        }
        return List.of(address, address.substring(at + 1), address.substring(0, at + 1));
    }

    /** access(5) actions: OK, REJECT [text], DEFER [text], DUNNO, NNN text, and a few restriction names. */
    private static Verdict accessAction(Stage stage, CheckContext ctx, String action) {
        String word = action.split("\\s+", 2)[0].toUpperCase(Locale.ROOT);
        String text = action.length() > word.length() ? action.substring(word.length()).strip() : "";
        if (word.matches("\\d{3}") && (word.startsWith("4") || word.startsWith("5"))) {
            int code = Integer.parseInt(word);
            String enhanced = code >= 500 ? "5.7.1" : "4.7.1";
            return refuse(stage, ctx, code, enhanced, text.isEmpty() ? "Access denied" : text);
        }
        if (word.matches("\\d+") || word.equals("OK") || word.equals("PERMIT") || word.equals("PERMIT_MYNETWORKS")) {
            return word.equals("PERMIT_MYNETWORKS") ? Verdict.DUNNO : Verdict.PERMIT;
        }
        return switch (word) {
            case "REJECT" -> refuse(stage, ctx, 554, "5.7.1", text.isEmpty() ? "Access denied" : text);
            case "DEFER", "DEFER_IF_PERMIT" -> refuse(stage, ctx, 450, "4.7.1", text.isEmpty() ? "Access denied" : text);
            case "DUNNO" -> Verdict.DUNNO;
            default -> new Verdict.Refuse(Reply.of(451, "4.3.5", "Server configuration error"));
        };
    }
}
