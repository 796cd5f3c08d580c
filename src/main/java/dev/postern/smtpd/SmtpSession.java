package dev.postern.smtpd;

import dev.postern.cleanup.Cleanup;
import dev.postern.cleanup.CleanupTransaction;
import dev.postern.cleanup.Envelope;
import dev.postern.mail.Dsn;
import dev.postern.mail.MailAddress;
import dev.postern.mail.Reply;
import dev.postern.metrics.TlsResult;
import dev.postern.mail.ReversePath;
import dev.postern.mail.SmtpException;
import dev.postern.maps.LookupException;
import dev.postern.protocol.CommandLine;
import dev.postern.protocol.NettyTransport;
import dev.postern.protocol.PathArgument;
import dev.postern.protocol.PostfixEscape;
import dev.postern.protocol.RequestDeadline;
import dev.postern.protocol.SmtpInput;
import dev.postern.protocol.SmtpInputDecoder;
import dev.postern.protocol.Verb;
import dev.postern.tls.PeerCertificate;
import dev.postern.tls.TlsServer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One SMTP server session, top to bottom: greeting, EHLO, STARTTLS, MAIL, RCPT, DATA, QUIT.
 * Runs on its channel's event loop and never blocks it. While an asynchronous step is in flight
 * (peer name lookup, queue commit, error sleep) further input is queued and reading paused, so
 * replies always leave in command order.
 */
final class SmtpSession extends ChannelInboundHandlerAdapter implements MessageActions.Transaction {
    private enum State { GREETING, COMMANDS, DATA, CLOSED }

    private final SessionServices services;
    private final SmtpdSettings settings;
    private final SmtpInputDecoder decoder;
    private final RequestDeadline deadline;
    private final CommandCounts counts = new CommandCounts();
    private final ArrayDeque<SmtpInput> pending = new ArrayDeque<>(4); // small: it holds input only while a step is in flight (10,000 idle sessions: -0.5 MiB)
    private final ExternalAuth auth;
    /** The EHLO replies and hidden keywords for this client (smtpd_discard_ehlo_keywords, or its table's value). */
    private EhloOffer ehloOffer;
    /** smtpd_discard_ehlo_keyword_address_maps could not answer for this client: EHLO is refused (Postfix). */
    private boolean ehloUnknown;

    private ChannelHandlerContext ctx;
    private InetAddress clientAddress;
    private String clientName = "unknown";
    private String client; // name[addr], as logged
    private State state = State.GREETING;
    private boolean busy;
    private String lastCommand = "CONNECT";
    /** smtpd.c SMTPD_AFTER_EOM: where a session is once a message's end of data was answered. */
    private static final String AFTER_EOM = "END-OF-MESSAGE";

    private String helo;
    private boolean esmtp;
    private boolean tlsActive;
    private String tlsSummary;
    private PeerCertificate peer = PeerCertificate.NONE;
    private Reply tlsAbort; // Postfix answers the next command with this, then disconnects

    private ReversePath sender;
    private boolean smtputf8;
    private boolean eightBitMime; // MAIL FROM ... BODY=8BITMIME, carried to the next hop
    /** local_header_rewrite_clients matched at MAIL FROM: cleanup rewrites header addresses in the local context. */
    private boolean localHeaderRewrite;
    private Dsn dsn = Dsn.NONE; // MAIL FROM ... RET= ENVID= (RFC 3461), see DsnParameters
    private final List<MailAddress> recipients = new ArrayList<>();
    /** RCPTs refused for smtpd_recipient_limit in this transaction (smtpd.c state->rcpt_overshoot). */
    private int rcptOvershoot;
    /** Set by a command whose negative reply is no error (smtpd.c: the action returned 0). */
    private boolean notAnError;
    private CleanupTransaction transaction;
    /** What access tables decided for this transaction's message (HOLD, DISCARD, ...); null until one does. */
    private MessageActions actions;
    private long dataBytes;
    private boolean dataTooBig;
    private boolean dataBareNewline;
    private int errorCount;
    private int junkCount;
    private boolean anvilConnected;
    private boolean limitExempt; // smtpd_client_event_limit_exceptions
    private Boolean bareNewlineExcluded; // smtpd_forbid_bare_newline_exclusions, looked up at the first bare LF
    private Reply connectRefusal; // a count/rate limit hit on an implicit-TLS port: said after the handshake
    private boolean greeted; // "connect from" was logged, so "disconnect from" must be too
    private boolean finished;
    private SessionLimit.Slot slot; // this connection's place in the service's process limit (null: none)
    private boolean engaged; // holds one of the limit's places (taken with the first command)
    private boolean parked; // its first command waits for a place

    SmtpSession(SessionServices services, SmtpInputDecoder decoder, RequestDeadline deadline) {
        this.services = services;
        this.settings = services.settings();
        this.decoder = decoder;
        this.deadline = deadline;
        this.auth = new ExternalAuth(settings.authExternal());
        this.ehloOffer = services.ehlo().standard();
    }

    // ---- connection lifecycle -------------------------------------------------------------

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        slot = Smtpd.slot(ctx.channel());
        engaged = slot == null;
        ClientEndpoint endpoint = ClientEndpoint.of(ctx.channel());
        if (!endpoint.known()) {
            hangUpOnUnknownClient();
            return;
        }
        clientAddress = endpoint.address().getAddress();
        client = clientName + "[" + PeerNames.printable(clientAddress) + "]";
        pause();
        if (slot != null) {
            slot.busy(); // the lookup is the server's time, not the client's silence (greet() marks it idle)
        }
        if (settings.peernameLookup()) {
            services.clientNames().lookup(clientAddress).thenAccept(r -> ctx.executor().execute(() -> {
                if (r.warning() != null) {
                    services.log().warning(settings.serviceName(), r.warning());
                }
                connected(r.name());
            }));
        } else {
            connected("unknown");
        }
    }

    /**
     * The proxy's header was missing or bad (see {@link UpstreamProxy}): as Postfix's
     * smtpd_peer_fall_back_and_hangup(), the client is unknown[unknown], has no rights, and is
     * told 421 before anything else (in plaintext, on an implicit-TLS port too).
     */
    private void hangUpOnUnknownClient() {
        client = "unknown[unknown]";
        services.log().connect(settings.serviceName(), client);
        greeted = true;
        replyAndClose(Reply.of(421, "4.3.0", settings.myhostname() + " Server local error"));
    }

    private void connected(String name) {
        if (state == State.CLOSED) {
            return; // the client left during the lookup
        }
        clientName = name;
        client = clientName + "[" + PeerNames.printable(clientAddress) + "]";
        services.log().connect(settings.serviceName(), client);
        greeted = true;
        limitExempt = services.limitExempt(clientAddress);
        if (!limitExempt) {
            // smtpd.c smtpd_proto(): anvil counts the connection, then the count and rate limits apply.
            Anvil.Connection n = services.anvil().connect(clientAddress);
            anvilConnected = true;
            String over = settings.connectionCountLimit() > 0 && n.open() > settings.connectionCountLimit()
                    ? "Connection concurrency limit exceeded: " + n.open()
                    : settings.connectionRateLimit() > 0 && n.rate() > settings.connectionRateLimit()
                    ? "Connection rate limit exceeded: " + n.rate() : null;
            if (over != null) {
                services.log().warning(settings.serviceName(), over + " from " + client + " for service " + settings.serviceName());
                connectRefusal = Reply.of(421, "4.7.0", settings.myhostname() + " Error: too many connections from "
                        + PeerNames.printable(clientAddress));
                if (!settings.wrapperMode()) {
                    replyAndClose(connectRefusal);
                    return;
                }
                // Implicit TLS: as Postfix, the refusal is said inside TLS, after the handshake.
            }
        }
        chooseEhloOffer();
        if (settings.wrapperMode()) {
            if (connectRefusal == null && newTlsRateExceeded()) {
                services.log().warning(settings.serviceName(), "Refusing TLS service request from " + client
                        + " for service " + settings.serviceName());
                ctx.close();
                return;
            }
            startTls(false);
        } else {
            greet();
        }
    }

    /**
     * smtpd.c smtpd_proto(), after the connection limits and before the greeting: what this
     * client will not be offered. A table that cannot answer leaves the service's list in force
     * (Postfix's maps_find() returns nothing) and EHLO is refused later, as in Postfix.
     */
    private void chooseEhloOffer() {
        try {
            ehloOffer = services.ehlo().forClient(clientAddress);
        } catch (dev.postern.maps.LookupException e) {
            services.log().warning(settings.serviceName(), e.getMessage());
            ehloUnknown = true;
        }
    }

    private void greet() {
        state = State.COMMANDS;
        write(Reply.of(220, "", settings.banner()));
        resume();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (state != State.CLOSED) {
            logLostConnection("");
            state = State.CLOSED;
        }
        finishOnce();
    }

    /**
     * smtpd.c: "lost connection after WHERE from CLIENT", except after the end of a message, where
     * a client that leaves without QUIT lost nothing (Postfix logs nothing for END-OF-MESSAGE).
     */
    private void logLostConnection(String why) {
        if (!lastCommand.equals(AFTER_EOM) || state == State.DATA) {
            services.log().info(settings.serviceName(), "lost connection after " + where() + " from " + client + why);
        }
    }

    /** Releases everything the session holds and logs the disconnect line, exactly once. */
    private void finishOnce() {
        if (finished) {
            return;
        }
        finished = true;
        abortTransaction();
        pending.forEach(ReferenceCountUtil::release);
        pending.clear();
        if (anvilConnected) {
            anvilConnected = false;
            services.anvil().disconnect(clientAddress);
        }
        if (greeted) {
            services.log().disconnect(settings.serviceName(), client, counts.toString());
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (state != State.CLOSED) {
            logLostConnection(": " + FailureText.of(cause));
            state = State.CLOSED;
        }
        ctx.close();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslCloseCompletionEvent && state != State.CLOSED) {
            // The client ended TLS (close_notify). Nothing after it is parsed: plaintext following a
            // close_notify is not SMTP in this session, and Postfix's SSL_read sees end of input too.
            logLostConnection("");
            state = State.CLOSED;
            ctx.close();
            return;
        }
        if (evt == SessionLimit.EVICT && state != State.CLOSED) {
            evicted();
            return;
        }
        if (evt instanceof IdleStateEvent && state != State.CLOSED) {
            services.log().info(settings.serviceName(), "timeout after " + where() + " from " + client);
            replyAndClose(Reply.of(421, "4.4.2", settings.myhostname() + " Error: timeout exceeded"));
            if (!ctx.channel().isWritable()) {
                ctx.close(); // the client reads nothing: that 421 would never leave
            }
        }
    }

    /** smtpd.c: in message content, "DATA (N bytes)" ("Log the byte count after DATA to help diagnose MTU troubles"). */
    private String where() {
        return state == State.DATA ? "DATA (" + dataBytes + " bytes)" : lastCommand;
    }

    // ---- input ----------------------------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state == State.CLOSED || (slot != null && !slot.busy())) {
            ReferenceCountUtil.release(msg); // closed, or evicted (the EVICT event is on its way)
            return;
        }
        if (busy || !pending.isEmpty()) {
            pending.add((SmtpInput) msg);
            return;
        }
        if (!engaged && !engage()) {
            pending.add((SmtpInput) msg);
            return;
        }
        handle((SmtpInput) msg);
    }

    /**
     * The first input: the session takes one of the service's places ({@link SessionLimit#engage}).
     * False when all are taken by busy sessions: input pauses (not counted by smtpd_timeout) and
     * the session asks again every few hundred milliseconds until it gets one.
     */
    private boolean engage() {
        if (slot.limit.engage(slot, () -> ctx.executor().execute(this::unpark)) == SessionLimit.Engaged.NOW) {
            engaged = true;
            return true;
        }
        parked = true;
        pause();
        retryLater();
        return false;
    }

    private void retryLater() {
        ctx.executor().schedule(() -> {
            if (!parked || state == State.CLOSED) {
                return;
            }
            if (slot.limit.retry(slot)) {
                unpark();
            } else {
                retryLater();
            }
        }, slot.limit.retryMillis(), TimeUnit.MILLISECONDS);
    }

    private void unpark() {
        if (!parked || state == State.CLOSED) {
            return;
        }
        parked = false;
        engaged = true;
        resume();
    }

    /**
     * Another client needed this session's place while it waited for its client (see
     * {@link SessionLimit}): the client is told so, as it would be at a timeout under stress.
     */
    private void evicted() {
        services.log().info(settings.serviceName(), "idle session closed after " + where() + " from " + client
                + ": service \"" + slot.limit.service() + "\" is at its process limit (" + slot.limit.limit()
                + ") and another client needed the place");
        if (settings.wrapperMode() && !tlsActive) {
            state = State.CLOSED;
            ctx.close(); // no TLS yet on an implicit-TLS port: nothing can be said
            finishOnce();
            return;
        }
        replyAndClose(Reply.of(421, "4.4.2", settings.myhostname() + " Error: idle session closed, server busy"));
    }

    private void handle(SmtpInput input) {
        if (input instanceof SmtpInput.Content c) {
            content(c);
        } else if (input instanceof SmtpInput.EndOfData) {
            endOfData();
        } else if (input instanceof SmtpInput.TooLong t) {
            // smtp_stream.c smtp_get(), smtpd_chat.c smtpd_chat_query_limit(): the warnings; smtpd.c:
            // the reply, the command not run, state->where unchanged. Postfix does not count it as an
            // error; Postern does, so a stream of over-long lines meets smtpd_hard_error_limit.
            if (t.inputDisabled()) {
                services.log().warning(settings.serviceName(), "disabling input from " + client);
            }
            services.log().warning(settings.serviceName(), client + ": request longer than " + settings.commandLineLimit()
                    + ": " + t.start().replaceAll("[^\\x20-\\x7e]", "?") + "...");
            Reply tooLong = Reply.of(500, "5.5.2", settings.myhostname() + " Error: command too long");
            if (t.inputDisabled()) { // Postfix reads end-of-file next: "lost connection after ..."
                logLostConnection("");
                replyAndClose(tooLong);
                return;
            }
            error(tooLong);
        } else if (input instanceof SmtpInput.Command c) {
            command(c);
        }
    }

    private void pause() {
        busy = true;
        ctx.channel().config().setAutoRead(false);
    }

    private void resume() {
        busy = false;
        while (!busy && state != State.CLOSED && !pending.isEmpty()) {
            // Input taken from the queue is new activity too: the session may have been marked idle
            // by a reply meanwhile (pipelined MAIL/RCPT/DATA behind a commit).
            if (slot != null && !slot.busy()) {
                return; // evicted while idle: the EVICT event is on its way
            }
            if (!engaged && !engage()) {
                return; // parked: unpark() resumes
            }
            handle(pending.poll());
        }
        if (!busy && state != State.CLOSED) {
            ctx.channel().config().setAutoRead(ctx.channel().isWritable());
        }
    }

    /**
     * A client that sends commands but does not read the replies: Postfix's smtpd blocks in
     * write() once the socket buffer is full, and smtpd_timeout ends the session. Here nothing
     * more is read while the replies cannot be written (Netty's outbound buffer above its high-water
     * mark), so memory stays bounded; {@link RequestDeadline} counts that time as waiting for the
     * client, and the timeout closes the connection without waiting for its 421 to leave.
     */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (!busy && state != State.CLOSED) {
            ctx.channel().config().setAutoRead(ctx.channel().isWritable());
        }
        ctx.fireChannelWritabilityChanged();
    }

    // ---- commands -------------------------------------------------------------------------

    private void command(SmtpInput.Command input) {
        if (auth.awaitingResponse()) {
            authResponse(input.line()); // the line after "334 " is a SASL response, not a command
            return;
        }
        CommandLine cmd = CommandLine.parse(input.line());
        String where = lastCommand; // Postfix's state->where before this command: the last one
        lastCommand = cmd.verb() == Verb.UNKNOWN ? "UNKNOWN" : cmd.verb().name();
        if (tlsAbort != null) {
            services.log().info(settings.serviceName(), "NOQUEUE: abort: TLS from " + client + ": "
                    + tlsAbort.lines().get(0).substring(tlsAbort.lines().get(0).indexOf("Error: ") + 7));
            hangup(tlsAbort);
            return;
        }
        if (input.bareLf()) {
            if (rejectsBareNewline()) { // smtpd.c smtpd_proto(): log_whatsup, the reply, and the session ends
                services.log().info(settings.serviceName(), (transaction != null ? transaction.queueId() : "NOQUEUE")
                        + ": reject: " + where + " from " + client + ": bare <LF> received;" + whatsup(firstRecipient()));
                hangup(bareNewlineReply()); // not counted: Postfix stops before its command tally
                return;
            }
            noteBareNewline();
        }
        // smtpd.c smtpd_proto(): bare LF, then UTF-8, then the command's name
        if (settings.smtputf8() && !input.validUtf8()) {
            // smtpd.c smtpd_proto(): "Safety: protect internal interfaces against malformed UTF-8".
            lastCommand = "UNKNOWN";
            counts.record("unknown", false);
            error(Reply.of(500, "5.5.2", "Error: bad UTF-8 syntax"));
            return;
        }
        if (isForbidden(cmd)) {
            services.log().warning(settings.serviceName(), "non-SMTP command from " + client + ": " + escaped(input.line(), 100));
            counts.record(cmd.verb() == Verb.UNKNOWN ? "unknown" : cmd.word(), false);
            hangup(Reply.of(221, "2.7.0", "Error: I can break rules, too. Goodbye."));
            return;
        }
        if (cmd.verb() == Verb.UNKNOWN) {
            counts.record("unknown", false);
            error(Reply.of(500, "5.5.2", "Error: command not recognized"));
            return;
        }
        if (settings.tlsRequired() && !tlsActive && !preTlsAllowed(cmd.verb())) {
            counts.record(cmd.word(), false);
            error(Reply.of(530, "5.7.0", "Must issue a STARTTLS command first"));
            return;
        }
        if (settings.forbidUnauthPipelining() && input.pipelinedAfter() && improperlyPipelined(cmd.verb())) {
            // smtpd.c smtpd_flag_ill_pipelining(): logged with what was waiting behind the command
            services.log().info(settings.serviceName(), "improper command pipelining after " + lastCommand + " from " + client
                    + ": " + PostfixEscape.escape(input.following()));
            counts.record(cmd.word(), false);
            hangup(Reply.of(554, "5.5.0", "Error: SMTP protocol synchronization"));
            return;
        }
        Reply reply = switch (cmd.verb()) {
            case EHLO -> ehlo(cmd.argument(), true);
            case HELO -> ehlo(cmd.argument(), false);
            case STARTTLS -> starttls(cmd.argument());
            case MAIL -> mail(cmd.argument());
            case RCPT -> rcpt(cmd.argument());
            case DATA -> data(cmd.argument());
            case RSET -> rset(cmd.argument());
            case NOOP -> Reply.of(250, "2.0.0", "Ok");
            case VRFY -> Reply.of(502, "5.5.1", "VRFY command is disabled");
            case ETRN -> Reply.of(502, "5.5.1", "Error: command not implemented");
            case QUIT -> null;
            case HELP -> Reply.of(214, "2.0.0", "See RFC 5321 and https://www.postfix.org/postconf.5.html");
            case AUTH -> authCommand(cmd.argument());
            case BDAT, EXPN -> Reply.of(502, "5.5.1", "Error: command not implemented");
            default -> Reply.of(500, "5.5.2", "Error: command not recognized");
        };
        if (cmd.verb() == Verb.QUIT) {
            counts.record("quit", true);
            hangup(Reply.of(221, "2.0.0", "Bye"));
            return;
        }
        if (reply == null) {
            if (state == State.CLOSED) {
                return; // an access table's HANGUP: counted and logged already
            }
            if (cmd.verb() == Verb.DATA) {
                counts.attempted(cmd.word()); // a success once the message is queued (endOfData)
            } else if (!auth.awaitingResponse()) { // AUTH is counted when its exchange ends
                counts.record(cmd.word(), true); // the reply was already sent (STARTTLS)
            }
            return;
        }
        boolean ok = reply.isPositive() || notAnError;
        notAnError = false;
        counts.record(cmd.word(), ok);
        respond(reply, !ok, junkError(cmd.verb()));
    }

    private static boolean isForbidden(CommandLine cmd) {
        String w = cmd.word().toUpperCase(Locale.ROOT);
        return w.equals("CONNECT") || w.equals("GET") || w.equals("POST") || w.endsWith(":")
                || (!w.isEmpty() && !Character.isLetter(w.charAt(0)));
    }

    private static boolean preTlsAllowed(Verb v) {
        return v == Verb.EHLO || v == Verb.HELO || v == Verb.STARTTLS || v == Verb.NOOP || v == Verb.QUIT || v == Verb.HELP;
    }

    /**
     * smtpd.c: commands with SMTPD_CMD_FLAG_LIMIT (HELO, EHLO, RSET, NOOP, VRFY, ETRN) count
     * {@code if (junk_cmds++ > var_smtpd_junk_cmd_limit) error_count++}, after their reply.
     */
    private boolean junkError(Verb v) {
        boolean limited = v == Verb.HELO || v == Verb.EHLO || v == Verb.RSET || v == Verb.NOOP || v == Verb.VRFY
                || v == Verb.ETRN;
        return limited && junkCount++ > (deadline.stressed() ? settings.stress().junkCommandLimit() : settings.junkCommandLimit());
    }

    private Reply ehlo(String arg, boolean extended) {
        if (arg.isEmpty()) {
            return Reply.of(501, "5.5.4", "Syntax: " + (extended ? "EHLO" : "HELO") + " hostname");
        }
        resetTransaction();
        helo = heloName(arg, settings.smtputf8());
        esmtp |= extended; // smtpd.c helo_cmd(): HELO after EHLO does not downgrade ESMTP
        if (!extended) {
            return Reply.of(250, "", settings.myhostname());
        }
        // smtpd.c ehlo_cmd(): the discard is logged at every EHLO (silent-discard: not), then a
        // table that could not answer ends the session.
        if (ehloOffer.logLine != null) {
            services.log().info(settings.serviceName(), ehloOffer.logLine);
        }
        if (ehloUnknown) {
            services.log().warning(settings.serviceName(), "don't know what EHLO features to announce to " + client);
            Reply r = Reply.of(421, "4.3.0", settings.myhostname() + " Server local data error");
            services.log().metrics().reject("EHLO", r.code(), "smtpd_discard_ehlo_keyword_address_maps");
            services.log().info(settings.serviceName(), "NOQUEUE: reject: EHLO from " + client + ": " + r.oneLine());
            return r; // 421: respond() closes the session
        }
        return ehloOffer.reply(settings.tlsOffered() && !tlsActive && services.tls() != null,
                auth.ehloKeyword(tlsActive, peer) != null);
    }

    /**
     * RFC 2920: only a client that was offered PIPELINING (after EHLO) may send commands without
     * waiting for each reply, and even then not behind EHLO, HELO, DATA, NOOP, VRFY (smtpd.c's
     * SMTPD_CMD_FLAG_LAST), AUTH, ETRN or EXPN. STARTTLS is handled by the decoder (what follows it
     * is discarded), and data behind QUIT is never read.
     */
    private boolean improperlyPipelined(Verb verb) {
        if (!esmtp) {
            return true;
        }
        return verb.mustEndPipelineGroup() && verb != Verb.STARTTLS && verb != Verb.QUIT;
    }

    /**
     * The HELO/EHLO argument as Postfix keeps it: its words joined by one space (smtpd.c
     * collapse_args()), printable() (control characters, and each byte of a non-ASCII character
     * unless SMTPUTF8 is enabled, become '?'), then neuter() with NEUTER_CHARACTERS, so that no
     * space, bracket, quote, ';' or '@' reaches a log line or the Received header. Restrictions
     * see this name too.
     */
    static String heloName(String arg, boolean utf8) {
        String collapsed = String.join(" ", PathArgument.WORDS.split(arg.strip()));
        StringBuilder b = new StringBuilder(collapsed.length());
        collapsed.codePoints().forEach(c -> {
            if (c < 0x20 || c == 0x7f || c == 0xfffd || NEUTER.indexOf(c) >= 0) {
                b.append('?');
            } else if (c > 0x7f && !utf8) {
                b.append("?".repeat(new String(Character.toChars(c)).getBytes(StandardCharsets.UTF_8).length));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.toString();
    }

    private static final String NEUTER = " <>()\\\";@"; // smtpd.c NEUTER_CHARACTERS

    private Reply starttls(String arg) {
        if (!arg.isEmpty()) {
            return Reply.of(501, "5.5.4", "Syntax: STARTTLS");
        }
        if (tlsActive) {
            return Reply.of(554, "5.5.1", "Error: TLS already active");
        }
        if (!settings.tlsOffered() || services.tls() == null || ehloOffer.discards(EhloKeyword.STARTTLS)) {
            // smtpd.c starttls_cmd(): a hidden STARTTLS is not implemented for this client either
            return Reply.of(502, "5.5.1", "Error: command not implemented");
        }
        if (newTlsRateExceeded()) {
            // smtpd.c starttls_cmd(): refuse this STARTTLS, the session goes on in plaintext.
            services.log().warning(settings.serviceName(), "Refusing STARTTLS request from " + client + " for service "
                    + settings.serviceName());
            return Reply.of(454, "4.7.0", "Error: too many new TLS sessions from " + client);
        }
        afterErrorSleep(() -> {
            write(Reply.of(220, "2.0.0", "Ready to start TLS"));
            // RFC 3207 §4.2: forget everything learned before TLS. The decoder already dropped any
            // plaintext that was pipelined behind STARTTLS.
            helo = null; // smtpd.c helo_reset(): the protocol name (ESMTP) stays, as in Postfix
            auth.reset();
            resetTransaction();
            startTls(true);
        });
        return null;
    }

    private void startTls(boolean afterStartTlsCommand) {
        pause();
        if (slot != null && afterStartTlsCommand) {
            // The client asked for TLS: the handshake is activity (bounded by smtpd_starttls_timeout),
            // not idleness, or a client far away could lose its place mid-handshake. On an
            // implicit-TLS port a connection stays "silent" until TLS is up and it speaks.
            slot.busy();
        }
        TlsServer tls = services.tls();
        if (settings.tlsLogLevel() >= 2) {
            services.log().info(settings.serviceName(), "setting up TLS connection from " + client);
        }
        SslHandler ssl = tls.newHandler(ctx.alloc());
        ssl.setHandshakeTimeoutMillis((deadline.stressed() ? settings.stress().starttlsTimeout() : settings.starttlsTimeout()).toMillis());
        ctx.pipeline().addFirst("tls", ssl);
        // The handshake needs reads; anything decoded meanwhile waits in `pending` (busy is set).
        ctx.channel().config().setAutoRead(true);
        ssl.handshakeFuture().addListener(f -> {
            if (state == State.CLOSED) {
                return; // closed meanwhile (evicted, timed out): not a TLS failure
            }
            if (countNewTlsSession(ssl) && f.isSuccess()) {
                replyAndClose(Reply.of(421, "4.7.0", settings.myhostname() + " Error: too many new TLS sessions from " + client));
                return;
            }
            if (!f.isSuccess()) {
                services.log().metrics().tlsHandshake(TlsResult.FAILED, false);
                services.log().info(settings.serviceName(), "SSL_accept error from " + client + ": "
                        + (f.cause() == null ? "handshake failed" : FailureText.of(f.cause())));
                lastCommand = afterStartTlsCommand ? "STARTTLS" : "CONNECT";
                ctx.close();
                return;
            }
            tlsEstablished(ssl, afterStartTlsCommand);
        });
    }

    private void tlsEstablished(SslHandler ssl, boolean afterStartTlsCommand) {
        tlsActive = true;
        // Acknowledge the client's Finished now. BoringSSL holds our TLS 1.3 session tickets until
        // our next write (tls13_server.cc: "consumers which don't write data ... need to do a
        // zero-byte write"), and after STARTTLS the client speaks first, so nothing would carry the
        // ACK: our kernel delays it ~40 ms, and a client with Nagle on (Python's smtplib sets no
        // TCP_NODELAY) holds its EHLO until it comes. That was +40 ms on every smtplib session
        // (tcpdump, bench/smtplib-sessions.sh; BENCHMARKS.md 2026-12-04 17:20). Postfix (OpenSSL)
        // sends its ticket at once.
        NettyTransport.quickAck(ctx.channel());
        var session = ssl.engine().getSession();
        tlsSummary = TlsServer.describe(session);
        peer = settings.askClientCert() ? services.tls().inspectPeer(session) : PeerCertificate.NONE;
        String trust = !peer.presented() ? "Anonymous" : peer.trusted() ? "Trusted" : "Untrusted";
        services.log().metrics().tlsHandshake(!peer.presented() ? TlsResult.NO_CERT
                : peer.trusted() ? TlsResult.TRUSTED : TlsResult.UNTRUSTED, TlsServer.resumed(ssl.engine()));
        // Postfix tls_server.c tls_server_post_accept(), in its order: the peer line (TLS_LOG_PEERCERT,
        // loglevel 2), then the verification failure of an untrusted certificate, then the
        // tls_log_summary() one-liner (loglevel 1).
        if (settings.tlsLogLevel() >= 2 && peer.presented()) {
            services.log().info(settings.serviceName(), peerCertLine(client, peer));
        }
        if (peer.presented() && !peer.trusted()) {
            services.log().info(settings.serviceName(), "certificate verification failed for " + client + ": " + peer.failure());
        }
        if (settings.tlsLogLevel() >= 1) {
            services.log().info(settings.serviceName(), trust + " TLS connection established from " + client + ": " + tlsSummary);
        }
        if (settings.requireClientCert() && !peer.trusted()) {
            tlsAbort = Reply.of(421, "4.7.1", settings.myhostname() + " Error: "
                    + (peer.presented() ? "Client certificate not trusted" : "No client certificate presented"));
        }
        if (afterStartTlsCommand) {
            resume();
        } else if (connectRefusal != null) {
            replyAndClose(connectRefusal); // over a connection limit on an implicit-TLS port
        } else if (tlsAbort != null) {
            // Implicit TLS: Postfix answers at once instead of greeting.
            services.log().info(settings.serviceName(), "NOQUEUE: abort: TLS from " + client + ": "
                    + (peer.presented() ? "Client certificate not trusted" : "No client certificate presented"));
            replyAndClose(tlsAbort);
        } else {
            greet();
        }
    }

    /**
     * tls_server.c: {@code "%s: subject_CN=%s, issuer=%s%s%s%s%s"}, the fingerprint parts only when
     * known: {@code host[addr]: subject_CN=cn, issuer=issuer-cn, cert fingerprint=FP, pkey fingerprint=FP}.
     */
    static String peerCertLine(String client, PeerCertificate peer) {
        return client + ": subject_CN=" + peer.subjectCn() + ", issuer=" + peer.issuerCn()
                + (peer.certFingerprint().isEmpty() ? "" : ", cert fingerprint=" + peer.certFingerprint())
                + (peer.pkeyFingerprint().isEmpty() ? "" : ", pkey fingerprint=" + peer.pkeyFingerprint());
    }

    private Reply mail(String arg) {
        if (helo == null && settings.heloRequired()) {
            return Reply.of(503, "5.5.1", "Error: send HELO/EHLO first");
        }
        if (sender != null) {
            return Reply.of(503, "5.5.1", "Error: nested MAIL command");
        }
        PathArgument path;
        try {
            path = PathArgument.parse("FROM", arg);
        } catch (IllegalArgumentException e) {
            return Reply.of(501, "5.5.4", "Syntax: MAIL FROM:<address>");
        }
        // smtpd.c mail_cmd(): anvil counts the request right after the command syntax.
        if (overRate(Anvil.Event.MESSAGE, settings.messageRateLimit(), "Message delivery request rate limit exceeded")) {
            return Reply.of(450, "4.7.1", "Error: too much mail from " + PeerNames.printable(clientAddress));
        }
        // smtpd.c mail_cmd(): the address, then the parameters in the client's order, then the size
        // limit, then SMTPUTF8's rule for non-ASCII addresses, then the queue's free space.
        ReversePath from;
        try {
            from = ReversePath.parse(envelopeAddress(path));
        } catch (IllegalArgumentException e) {
            illegalAddress("MAIL", path);
            return Reply.of(501, "5.1.7", "Bad sender address syntax");
        }
        boolean utf8 = false;
        boolean eightBit = false;
        long declaredSize = 0;
        boolean authParameter = false;
        DsnParameters dsnParams = new DsnParameters();
        for (PathArgument.Parameter p : path.parameters()) {
            if (p.is("BODY") && (p.value().equalsIgnoreCase("8BITMIME") || p.value().equalsIgnoreCase("7BIT"))) {
                eightBit = p.value().equalsIgnoreCase("8BITMIME");
            } else if (p.is("SIZE")) {
                if (p.value().isEmpty() || !p.value().chars().allMatch(c -> c >= '0' && c <= '9')) { // smtpd.c alldig()
                    return Reply.of(501, "5.5.4", "Bad message size syntax");
                }
                try {
                    declaredSize = Long.parseLong(p.value());
                } catch (NumberFormatException e) {
                    return Reply.of(552, "5.3.4", "Message size exceeds file system imposed limit");
                }
            } else if (p.value() == null && p.name().equals("SMTPUTF8") && settings.smtputf8()
                    && !ehloOffer.discards(EhloKeyword.SMTPUTF8)) { // hidden: an unsupported option, as in Postfix
                utf8 = true;
            } else if (p.is("AUTH")) {
                // smtpd_sasl_proto.c smtpd_sasl_mail_opt() (Postfix built with SASL, as Debian's is):
                // accepted once, whether or not AUTH is offered; the value is not used
                if (authParameter) {
                    return Reply.of(503, "5.5.4", "Error: multiple AUTH= options");
                }
                authParameter = true;
            } else if (p.is("RET") || p.is("ENVID")) {
                if (ehloOffer.discards(EhloKeyword.DSN)) {
                    return DSN_DISABLED;
                }
                Reply bad = dsnParams.mail(p.name(), p.value());
                if (bad != null) {
                    return bad;
                }
            } else {
                return Reply.of(555, "5.5.4", "Unsupported option: " + p.written());
            }
        }
        if (settings.messageSizeLimit() > 0 && declaredSize > settings.messageSizeLimit()) {
            // smtpd_check.c smtpd_check_size(): rejected and logged with the sender
            Reply tooBig = Reply.of(552, "5.3.4", "Message size exceeds fixed limit");
            services.log().metrics().reject("MAIL", tooBig.code(), "message_size_limit");
            services.log().reject(settings.serviceName(), null, "MAIL", client, tooBig.oneLine(), from.toString(), null,
                    logProtocol(), helo, auth.username());
            return tooBig;
        }
        if (!utf8 && !isAscii(path.path())) {
            return Reply.of(553, "5.6.7", "Must declare SMTPUTF8 to send unicode address");
        }
        // queue_minfree: refused now, not after the upload (smtpd.c mail_cmd: smtpd_check_queue, _size).
        Cleanup.Space space = services.cleanup().space(declaredSize);
        if (!space.enough()) {
            Reply full = Reply.of(452, "4.3.1", "Insufficient system storage");
            if (!space.warning().isEmpty()) {
                services.log().warning(settings.serviceName(), space.warning());
            }
            services.log().metrics().reject("MAIL", full.code(), "queue_minfree");
            services.log().reject(settings.serviceName(), null, "MAIL", client, full.oneLine(), null, null, logProtocol(),
                    helo, auth.username());
            return full;
        }
        try { // smtpd_check_rewrite(): the header address context, chosen before a queue file is opened
            localHeaderRewrite = services.restrictions().localHeaderRewrite(new CheckContext(clientAddress, clientName,
                    helo, tlsActive, peer, from.toString(), null, auth.username()));
        } catch (LookupException e) {
            services.log().warning(settings.serviceName(), e.getMessage());
            Reply retry = Reply.of(451, "4.3.0", "Temporary lookup error");
            services.log().reject(settings.serviceName(), null, "MAIL", client, retry.oneLine(), from.toString(), null,
                    logProtocol(), helo, auth.username());
            return retry;
        }
        sender = from;
        smtputf8 = utf8;
        eightBitMime = eightBit;
        dsn = dsnParams.messageDsn();
        return Reply.of(250, "2.1.0", "Ok");
    }

    /** smtpd_client_new_tls_session_rate_limit already exceeded, asked before a handshake (not counted). */
    private boolean newTlsRateExceeded() {
        return !limitExempt && settings.newTlsSessionRateLimit() > 0
                && services.anvil().rate(clientAddress, Anvil.Event.NEW_TLS) > settings.newTlsSessionRateLimit();
    }

    /**
     * smtpd.c smtpd_start_tls(): every handshake that did not resume a session counts, failed ones
     * too (they cost the most); true, with Postfix's warning, when that puts the client over the limit.
     */
    private boolean countNewTlsSession(SslHandler ssl) {
        if (limitExempt || settings.newTlsSessionRateLimit() <= 0 || TlsServer.resumed(ssl.engine())) {
            return false;
        }
        int rate = services.anvil().record(clientAddress, Anvil.Event.NEW_TLS);
        if (rate <= settings.newTlsSessionRateLimit()) {
            return false;
        }
        services.log().warning(settings.serviceName(), "New TLS session rate limit exceeded: " + rate + " from " + client
                + " for service " + settings.serviceName());
        return true;
    }

    /**
     * Counts one event for smtpd_client_{message,recipient}_rate_limit and says whether the client
     * is now over the limit (logging Postfix's warning); exempt clients are not counted.
     */
    private boolean overRate(Anvil.Event event, int limit, String warning) {
        if (limitExempt || limit <= 0) {
            return false;
        }
        int rate = services.anvil().record(clientAddress, event);
        if (rate <= limit) {
            return false;
        }
        services.log().warning(settings.serviceName(), warning + ": " + rate + " from " + client + " for service "
                + settings.serviceName());
        return true;
    }

    /**
     * The address of MAIL FROM / RCPT TO, or IllegalArgumentException: an unclosed '<' (smtpd.c's
     * SMTPD_TOK_ERROR) and, with strict_rfc821_envelopes, an address without angle brackets are bad
     * addresses, as in extract_addr().
     */
    private String envelopeAddress(PathArgument path) {
        if (path.malformed()) {
            throw new IllegalArgumentException("no closing '>'");
        }
        if (!path.bracketed() && settings.strictRfc821Envelopes()) {
            throw new IllegalArgumentException("strict_rfc821_envelopes: no angle brackets");
        }
        return path.path();
    }

    /** smtpd.c extract_addr(): "Illegal address syntax from %s in %s command: %s". */
    private void illegalAddress(String where, PathArgument address) {
        if (address.malformed()) {
            return; // smtpd.c: an unclosed '<' is refused before extract_addr(), without its warning
        }
        String written = address.bracketed() ? "<" + address.path() + ">" : address.path();
        services.log().warning(settings.serviceName(), "Illegal address syntax from " + client + " in " + where
                + " command: " + written.replaceAll("[\\x00-\\x1f\\x7f]", "?"));
    }

    private Reply rcpt(String arg) {
        if (sender == null) {
            return Reply.of(503, "5.5.1", "Error: need MAIL command");
        }
        PathArgument path;
        try {
            path = PathArgument.parse("TO", arg);
        } catch (IllegalArgumentException e) {
            return Reply.of(501, "5.5.4", "Syntax: RCPT TO:<address>");
        }
        // smtpd.c rcpt_cmd(): counted right after the command syntax, before the recipient limit.
        if (overRate(Anvil.Event.RECIPIENT, settings.recipientRateLimit(), "Recipient address rate limit exceeded")) {
            return Reply.of(450, "4.7.1", "Error: too many recipients from " + PeerNames.printable(clientAddress));
        }
        // smtpd.c rcpt_cmd(): the address, the parameters in order, the recipient limit, SMTPUTF8's rule.
        MailAddress rcpt;
        try {
            rcpt = MailAddress.parse(envelopeAddress(path));
        } catch (IllegalArgumentException e) {
            illegalAddress("RCPT", path);
            return Reply.of(501, "5.1.3", "Bad recipient address syntax");
        }
        DsnParameters dsnParams = new DsnParameters();
        for (PathArgument.Parameter p : path.parameters()) {
            if (!p.is("NOTIFY") && !p.is("ORCPT")) {
                return Reply.of(555, "5.5.4", "Unsupported option: " + p.written());
            }
            if (ehloOffer.discards(EhloKeyword.DSN)) {
                return DSN_DISABLED;
            }
            Reply bad = dsnParams.rcpt(p.name(), p.value());
            if (bad != null) {
                return bad;
            }
        }
        if (recipients.size() >= settings.recipientLimit()) {
            // smtpd.c rcpt_cmd(): the first smtpd_recipient_overshoot_limit of these are no errors
            // (a client with a long list is told to send the rest later, not disconnected).
            notAnError = rcptOvershoot++ < settings.recipientOvershootLimit();
            return Reply.of(452, "4.5.3", "Error: too many recipients");
        }
        if (!smtputf8 && !isAscii(path.path())) {
            return Reply.of(553, "5.6.7", "Must declare SMTPUTF8 to send unicode address");
        }
        CheckContext check = new CheckContext(clientAddress, clientName, helo, tlsActive, peer, sender.toString(),
                rcpt.toString(), auth.username());
        Restrictions.Refusal refusal = services.restrictions().recipientRefusal(check, this);
        if (refusal != null && refusal.hangup()) {
            hangUpSilently();
            return null;
        }
        if (refusal != null) {
            Reply refused = refusal.reply();
            services.log().metrics().reject("RCPT", refused.code(), refusal.restriction());
            // As log_whatsup(): the queue ID once the transaction's queue file is open (after the first
            // accepted recipient), NOQUEUE before.
            services.log().reject(settings.serviceName(), transaction == null ? null : transaction.queueId().toString(), "RCPT",
                    client, refused.oneLine(), sender.toString(), rcpt.toString(), logProtocol(), helo, auth.username());
            return refused;
        }
        if (transaction == null) {
            try {
                transaction = services.cleanup().open(new Envelope(sender, client, helo == null ? "" : helo, protocol(), Instant.now(),
                        smtputf8, eightBitMime, settings.serviceName(), dsn), settings.cleanupService());
            } catch (Exception e) {
                services.log().warning(settings.serviceName(), "cannot open queue file: " + e.getMessage());
                return Reply.of(451, "4.3.0", "Error: queue file write error");
            }
            if (!localHeaderRewrite) {
                transaction.remoteHeaderRewrite(); // local_header_rewrite_clients did not match
            }
            if (auth.username() == null) {
                services.log().client(settings.serviceName(), transaction.queueId().toString(), client);
            } else {
                services.log().client(settings.serviceName(), transaction.queueId().toString(), client,
                        ExternalAuth.MECHANISM, auth.username());
            }
        }
        transaction.addRecipient(rcpt, dsnParams.recipientDsn());
        recipients.add(rcpt);
        return Reply.of(250, "2.1.5", "Ok");
    }

    private Reply data(String arg) {
        if (recipients.isEmpty()) { // smtpd.c data_cmd(): the recipients first, then the syntax
            return sender == null ? Reply.of(503, "5.5.1", "Error: need RCPT command")
                    : Reply.of(554, "5.5.1", "Error: no valid recipients");
        }
        if (!arg.isEmpty()) {
            return Reply.of(501, "5.5.4", "Syntax: DATA");
        }
        Restrictions.Refusal refusal = services.restrictions().dataRefusal(new CheckContext(clientAddress, clientName,
                helo, tlsActive, peer, sender.toString(), null, auth.username()), this);
        if (refusal != null && refusal.hangup()) {
            hangUpSilently();
            return null;
        }
        if (refusal != null) {
            Reply refused = refusal.reply();
            // smtpd_check_data(): the recipient is named only when there is one
            services.log().reject(settings.serviceName(), transaction.queueId().toString(), "DATA", client,
                    refused.oneLine(), sender.toString(), recipients.size() == 1 ? recipients.get(0).toString() : null,
                    logProtocol(), helo, auth.username());
            return refused;
        }
        if (!settings.contentFilter().isEmpty()) {
            transaction.filter(settings.contentFilter()); // smtpd.c: the FILTER record of var_filter_xport
        }
        if (!settings.headerBodyChecks()) {
            transaction.skipHeaderBodyChecks(); // receive_override_options = no_header_body_checks
        }
        if (!settings.addressMappings()) {
            transaction.skipAddressMappings(); // receive_override_options = no_address_mappings
        }
        if (actions != null) {
            actions.applyTo(transaction); // hold, discard, redirect, bcc, filter; PREPEND headers before Received
        }
        String received = ReceivedHeader.build(helo, clientName, PeerNames.rfcAddress(clientAddress), tlsSummary,
                settings.tlsReceivedHeader(), peer, settings.askClientCert(), settings.myhostname(),
                settings.mailName(), protocol(), transaction.queueId().toString(),
                recipients.size() == 1 ? recipients.get(0).toString() : null, ZonedDateTime.now());
        transaction.write(Unpooled.copiedBuffer(received, StandardCharsets.UTF_8));
        dataBytes = 0;
        dataTooBig = false;
        dataBareNewline = false;
        state = State.DATA;
        decoder.startData();
        afterErrorSleep(() -> write(Reply.of(354, "", "End data with <CR><LF>.<CR><LF>")));
        return null;
    }

    private void content(SmtpInput.Content c) {
        ByteBuf bytes = c.bytes();
        dataBareNewline |= c.bareNewline();
        if (c.bareNewline()) {
            noteBareNewline();
        }
        dataBytes += bytes.readableBytes();
        if (settings.messageSizeLimit() > 0 && dataBytes > settings.messageSizeLimit()) {
            dataTooBig = true; // keep reading to the end of the data, storing nothing more
        }
        if (dataTooBig || transaction == null) {
            bytes.release();
            return;
        }
        transaction.write(bytes);
        waitForCleanup(transaction);
    }

    /**
     * Back-pressure: while more than CleanupTransaction.BACKLOG_LIMIT bytes of this message wait
     * for the spool writer, the client is not read (autoRead off, later input queued in order), so
     * memory per session stays bounded however fast the client sends.
     */
    private void waitForCleanup(CleanupTransaction t) {
        java.util.concurrent.CompletableFuture<Void> writable = t.writable();
        if (writable.isDone()) {
            return;
        }
        pause();
        writable.whenComplete((ok, e) -> ctx.executor().execute(() -> {
            if (state != State.CLOSED) {
                resume();
            }
        }));
    }

    private void endOfData() {
        state = State.COMMANDS;
        lastCommand = AFTER_EOM;
        if (transaction == null) {
            return; // not reachable: DATA needs an open transaction
        }
        if (dataTooBig || (dataBareNewline && rejectsBareNewline())) {
            Reply r = dataTooBig ? Reply.of(552, "5.3.4", "Error: message file too big") : bareNewlineReply();
            // smtpd.c data_cmd(): log_whatsup(state, "reject", "bare <LF> received"), to= the first recipient
            String why = dataTooBig ? r.oneLine() : "bare <LF> received";
            services.log().info(settings.serviceName(), transaction.queueId() + ": reject: END-OF-MESSAGE from " + client
                    + ": " + why + ";" + whatsup(dataTooBig ? null : firstRecipient()));
            resetTransaction();
            error(r);
            return;
        }
        CleanupTransaction committing = transaction;
        transaction = null;
        pause();
        committing.commit().whenComplete((ok, failure) -> ctx.executor().execute(() -> {
            if (failure == null) {
                counts.succeeded("data"); // queued, also when the client has gone meanwhile (Postfix: data=1)
            }
            if (state == State.CLOSED) {
                return;
            }
            resetTransaction();
            if (failure == null) {
                // smtpd.c: "Forgive any previous client errors when a message was received successfully."
                errorCount = 0;
                junkCount = 0;
                write(Reply.of(250, "2.0.0", "Ok: queued as " + committing.queueId()));
                resume();
            } else {
                Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
                Reply r = cause instanceof SmtpException se ? se.reply()
                        : Reply.of(451, "4.3.0", "Error: queue file write error");
                committing.abort();
                busy = false;
                error(r);
                if (!busy) {
                    resume();
                }
            }
        }));
    }

    /** Only "reject": since Postfix 3.9 "yes" is an alias for "normalize" (see SmtpdSettings). */
    private boolean rejectsBareNewline() {
        return settings.forbidBareNewline().equals("reject") && !bareNewlineExcluded();
    }

    /** smtpd.c: clients in smtpd_forbid_bare_newline_exclusions get "no" instead of reject or note. */
    private boolean bareNewlineExcluded() {
        if (bareNewlineExcluded == null) {
            bareNewlineExcluded = clientAddress != null && services.bareNewlineExcluded(clientAddress);
        }
        return bareNewlineExcluded;
    }

    /** "note" (Postfix 3.9): accepted as with normalize, and the disconnect line says notes=bare_lf. */
    private void noteBareNewline() {
        if (settings.forbidBareNewline().equals("note") && !bareNewlineExcluded()) {
            counts.noteBareNewline();
        }
    }

    /** smtpd.c: "%d 5.5.2 %s Error: bare <LF> received" with smtpd_forbid_bare_newline_reject_code (550) and myhostname. */
    private Reply bareNewlineReply() {
        return Reply.of(550, "5.5.2", settings.myhostname() + " Error: bare <LF> received");
    }

    /** log_whatsup()'s context after the text: from=, to= (when given), proto= (always: SMTP until EHLO), helo=. */
    private String whatsup(MailAddress to) {
        return whatsup(to == null ? null : to.toString());
    }

    private String whatsup(String to) {
        StringBuilder b = new StringBuilder();
        if (sender != null) {
            b.append(" from=<").append(sender).append('>');
        }
        if (to != null) {
            b.append(" to=<").append(to).append('>');
        }
        b.append(" proto=").append(logProtocol());
        if (helo != null) {
            b.append(" helo=<").append(helo).append('>');
        }
        if (auth.username() != null) { // log_whatsup() since Postfix 3.10 (HISTORY 20241023)
            b.append(" sasl_method=").append(ExternalAuth.MECHANISM).append(" sasl_username=").append(auth.username());
        }
        return b.toString();
    }

    // ---- what restrictions reach of the transaction (MessageActions.Transaction) -------------

    @Override
    public MessageActions actions() {
        if (actions == null) {
            actions = new MessageActions();
        }
        return actions;
    }

    @Override
    public boolean discarding() {
        return actions != null && actions.discard;
    }

    /**
     * smtpd_check.c log_whatsup(), for access tables' INFO, WARN, HOLD, DISCARD, REDIRECT, BCC and
     * HANGUP: {@code QUEUEID|NOQUEUE: action: WHERE from host[addr]: text; from=<> to=<> proto= helo=<>}.
     * To= is the recipient being checked; at DATA the only recipient, when there is one
     * (smtpd_check_data() names none of several).
     */
    @Override
    public void whatsup(String action, String text, String recipient) {
        String to = recipient != null ? recipient
                : lastCommand.equals("DATA") && recipients.size() == 1 ? recipients.get(0).toString() : null;
        services.log().info(settings.serviceName(), (transaction != null ? transaction.queueId() : "NOQUEUE")
                + ": " + action + ": " + lastCommand + " from " + client + ": " + text + ";" + whatsup(to));
    }

    @Override
    public void warning(String text) {
        services.log().warning(settings.serviceName(), text);
    }

    /**
     * An access table's HANGUP: "Drop the connection without sending any reply" (smtpd_check.c);
     * the command counts as refused in the disconnect line, nothing is queued.
     */
    private void hangUpSilently() {
        counts.record(lastCommand, false);
        state = State.CLOSED;
        ctx.close();
        finishOnce();
    }

    /** smtpd.c state->recipient: the first recipient of the transaction (set only while empty), or null. */
    private MailAddress firstRecipient() {
        return recipients.isEmpty() ? null : recipients.get(0);
    }

    /**
     * smtpd.c mail_cmd(), rcpt_cmd(): with DSN hidden (smtpd_discard_ehlo_keywords), RET, ENVID,
     * NOTIFY and ORCPT are refused before their syntax is looked at.
     */
    private static final Reply DSN_DISABLED = Reply.of(501, "5.7.1", "DSN support is disabled");

    /** AUTH: the reply, or null when "334 " went out and the response line is awaited. */
    private Reply authCommand(String arg) {
        if (ehloOffer.discards(EhloKeyword.AUTH)) {
            // smtpd_sasl_proto.c smtpd_sasl_auth_cmd(): a hidden AUTH is refused as when SASL is off
            return Reply.of(503, "5.5.1", "Error: authentication not enabled");
        }
        Reply r = auth.command(arg, tlsActive, peer, sender != null);
        if (r.code() == 334) {
            write(r);
            return null;
        }
        logAuthFailure();
        return r;
    }

    private void authResponse(String line) {
        Reply r = auth.response(line, peer);
        logAuthFailure();
        counts.record("auth", r.isPositive());
        respond(r, !r.isPositive(), false);
    }

    /** smtpd_sasl_glue.c: {@code warning: host[addr]: SASL EXTERNAL authentication failed: reason}. */
    private void logAuthFailure() {
        if (auth.failure() != null) {
            services.log().warning(settings.serviceName(), client + ": SASL " + ExternalAuth.MECHANISM
                    + " authentication failed: " + auth.failure());
        }
    }

    private Reply rset(String arg) {
        if (!arg.isEmpty()) {
            return Reply.of(501, "5.5.4", "Syntax: RSET");
        }
        resetTransaction();
        return Reply.of(250, "2.0.0", "Ok");
    }

    /** Postfix's state->protocol, as the mail log's proto= shows it: SMTP or ESMTP, without RFC 3848's S and A. */
    private String logProtocol() {
        return esmtp ? "ESMTP" : "SMTP";
    }

    private String protocol() {
        // RFC 3848: ESMTPA / ESMTPSA after AUTH, as Postfix.
        return esmtp ? "ESMTP" + (tlsActive ? "S" : "") + (auth.username() != null ? "A" : "") : "SMTP";
    }

    private void resetTransaction() {
        abortTransaction();
        sender = null;
        smtputf8 = false;
        eightBitMime = false;
        dsn = Dsn.NONE;
        recipients.clear();
        rcptOvershoot = 0;
        actions = null; // smtpd.c mail_reset(): saved_flags, saved_filter, saved_redirect, saved_bcc, prepend, discard
    }

    private void abortTransaction() {
        if (transaction != null) {
            transaction.abort();
            transaction = null;
        }
    }

    // ---- output ---------------------------------------------------------------------------

    /** Sends an error reply, counting it (see {@link #respond}). */
    private void error(Reply reply) {
        respond(reply, true, false);
    }

    /**
     * Sends a command's reply the way Postfix's smtpd_chat_reply() and command loop do: once the
     * error count has reached smtpd_soft_error_limit, every reply (not only error replies) waits
     * smtpd_error_sleep_time first (input is paused meanwhile, so replies stay in order); the count
     * is taken before this command's own error is added, as smtpd.c increments error_count after
     * the reply. When the count reaches smtpd_hard_error_limit the session ends with
     * "421 4.7.0 host Error: too many errors" (slowed down as well). A successful message resets
     * the count (endOfData).
     */
    private void respond(Reply reply, boolean isError, boolean junkError) {
        boolean slow = slowingDown();
        if (isError) {
            errorCount++;
        }
        if (junkError) {
            errorCount++;
        }
        boolean hardLimit = (isError || junkError)
                && errorCount >= (deadline.stressed() ? settings.stress().hardErrorLimit() : settings.hardErrorLimit());
        Runnable send = () -> {
            if (reply.code() == 421 || reply.code() == 521) {
                replyAndClose(reply); // smtpd_chat.c: "Orderly disconnect in case of 421 or 521 reply" (e.g. an access table's)
                return;
            }
            write(reply);
            if (hardLimit) {
                services.log().info(settings.serviceName(), "too many errors after " + lastCommand + " from " + client);
                hangup(Reply.of(421, "4.7.0", settings.myhostname() + " Error: too many errors"));
            }
        };
        if (slow) {
            later(send);
        } else {
            send.run();
        }
    }

    /** smtpd_chat.c: {@code if (state->error_count >= var_smtpd_soft_erlim) sleep(var_smtpd_err_sleep)}. */
    private boolean slowingDown() {
        return errorCount >= settings.softErrorLimit() && !settings.errorSleepTime().isZero();
    }

    /** Runs {@code action} now, or after smtpd_error_sleep_time when the session is being slowed down. */
    private void afterErrorSleep(Runnable action) {
        if (slowingDown()) {
            later(action);
        } else {
            action.run();
        }
    }

    /** The final reply (QUIT, protocol violations, errors), slowed down like every other reply. */
    private void hangup(Reply reply) {
        afterErrorSleep(() -> replyAndClose(reply));
    }

    /**
     * Runs {@code action} after smtpd_error_sleep_time with input paused; resumes input afterwards
     * unless the action paused again (STARTTLS handshake, another delayed reply) or closed.
     */
    private void later(Runnable action) {
        pause();
        ctx.executor().schedule(() -> {
            if (state == State.CLOSED) {
                return;
            }
            busy = false;
            action.run();
            if (!busy && state != State.CLOSED) {
                resume();
            }
        }, settings.errorSleepTime().toMillis(), TimeUnit.MILLISECONDS);
    }

    private void write(Reply reply) {
        // Each reply starts the wait for the next request (smtpd_per_request_deadline), or for the
        // message content after 354.
        if (state == State.DATA) {
            deadline.startData();
        } else {
            deadline.startRequest();
            if (slot != null) {
                slot.idle(); // waiting for the client: its place may go to another client after a while
            }
        }
        ctx.writeAndFlush(Unpooled.copiedBuffer(reply.toWire(), StandardCharsets.UTF_8));
    }

    private void replyAndClose(Reply reply) {
        state = State.CLOSED;
        ctx.writeAndFlush(Unpooled.copiedBuffer(reply.toWire(), StandardCharsets.UTF_8))
                .addListener(ChannelFutureListener.CLOSE);
        finishOnce();
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) > 0x7f) {
                return false;
            }
        }
        return true;
    }

    /** smtpd.c: the line's bytes through Postfix's escape(), then "%.100s". */
    private static String escaped(String line, int max) {
        String e = PostfixEscape.escape(new String(line.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
        return e.length() > max ? e.substring(0, max) : e;
    }
}
