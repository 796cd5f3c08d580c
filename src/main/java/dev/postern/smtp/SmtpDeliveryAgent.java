package dev.postern.smtp;

import dev.postern.checks.ContentChecks;
import dev.postern.log.MailLog;
import dev.postern.mail.DeliveryAgent;
import dev.postern.mail.DeliveryRequest;
import dev.postern.mail.MailAddress;
import dev.postern.mail.RecipientResult;
import dev.postern.maps.LookupException;
import dev.postern.tls.TlsClient;
import dev.postern.tls.TlsSetupException;
import io.netty.buffer.ByteBuf;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;

/**
 * smtp - the SMTP client delivery agent: a cached or new connection to the next hop, STARTTLS by
 * TLS policy, the client certificate presented when configured, then MAIL, RCPT, DATA (pipelined
 * when offered) with one result per recipient, worded as Postfix logs them. Never throws for
 * delivery problems. With smtp_header_checks, smtp_mime_header_checks, smtp_nested_header_checks
 * or smtp_body_checks set, the content goes out as they leave it ({@link CheckedContent}); with
 * smtp_generic_maps, MAIL FROM and RCPT TO carry the addresses it gives ({@link GenericMaps}),
 * while results and log lines keep the queue file's.
 */
public final class SmtpDeliveryAgent implements DeliveryAgent, AutoCloseable {
    /** startTls's answer when an opportunistic handshake failed and may be retried in plaintext. */
    private static final List<String> TLS_HANDSHAKE_FAILED = List.of("TLS handshake failed");
    /** Content is written in batches of about this size. */
    private static final int CHUNK = 65536;

    private final SmtpClientSettings settings;
    private final MailLog log;
    private final TlsClient tls;
    private final ConnectionCache cache;
    private final NextHopConnector connector;
    /**
     * The smtp_*_checks tables, opened once for every delivery; without one, the header-only walk
     * smtp_generic_maps needs, or {@link ContentChecks#NONE} when that is not set either.
     */
    private final ContentChecks checks;
    /** smtp_generic_maps, opened once for every delivery ({@link GenericMaps#NONE} without). */
    private final GenericMaps generic;

    /**
     * @throws TlsSetupException when smtp_tls_* files are unusable
     * @throws IllegalArgumentException naming the parameter and the table, for an smtp_*_checks table that cannot be opened
     */
    public SmtpDeliveryAgent(SmtpClientSettings settings, MailLog log) throws TlsSetupException {
        this.generic = GenericMaps.open(settings.generic()); // first: nothing to close when they fail
        ContentChecks tables = ContentChecks.open(settings.checks());
        this.checks = tables.isEmpty() && !generic.isEmpty() ? CheckedContent.headerWalk(settings.checks()) : tables;
        this.settings = settings;
        this.log = log;
        this.cache = new ConnectionCache(settings.cacheTimeLimit(), settings.reuseTimeLimit(), settings.reuseCountLimit());
        this.tls = TlsClient.create(settings.tls());
        this.connector = new NextHopConnector(settings, log);
    }

    @Override
    public List<RecipientResult> deliver(DeliveryRequest request) {
        Attempt a = new Attempt(request);
        try {
            a.run();
        } catch (IOException e) {
            a.finalServer = true; // a cached connection lost (a new server's loss is handled in run)
            a.failRemaining("4.4.2", a.lostConnection(e));
        } finally {
            if (a.conn != null && !a.cached) {
                a.conn.close();
            }
        }
        return a.results;
    }

    /** One delivery attempt; fields hold its progress so failures can be reported for what is left. */
    private final class Attempt {
        final DeliveryRequest request;
        final List<RecipientResult> results = new ArrayList<>();
        final long start = System.nanoTime();
        long setupDone;
        String relay = "none";
        String stage = "connecting";
        SmtpConnection conn;
        /** Which transaction on conn this is (Postfix's conn_use). */
        int connectionUse = 1;
        /** The last transaction ended in a state where the connection can take the next one. */
        boolean clean;
        /** The next hop announced DSN (RFC 3461): RET/ENVID/NOTIFY/ORCPT go on, and it reports success. */
        boolean nextHopDsn;
        boolean cached;
        /** The server's name in its EHLO reply (Postfix's session->helo; a TLS session key part). */
        String ehloName = "";
        /**
         * Postfix's SMTP_MISC_FLAG_FINAL_SERVER: when false, a soft failure leaves the recipients
         * pending for the next server (logged as {@code queueid: reason}) instead of deferring them.
         */
        boolean finalServer = true;
        List<MailAddress> pending;
        /** MAIL FROM's address in the current transaction, as smtp_generic_maps gives it. */
        String wireSender;
        /** RCPT TO's address per recipient in the current transaction, as smtp_generic_maps gives it. */
        final Map<MailAddress, String> wireRecipients = new HashMap<>();

        Attempt(DeliveryRequest request) {
            this.request = request;
            this.pending = new ArrayList<>(request.recipients());
        }

        void run() throws IOException {
            NextHop hop;
            try {
                hop = NextHop.parse(request.nexthop());
            } catch (IllegalArgumentException e) {
                failRemaining("4.3.5", "bad next hop \"" + request.nexthop() + "\": " + e.getMessage());
                return;
            }
            TlsPolicy policy;
            try {
                policy = TlsPolicy.lookup(settings, hop);
            } catch (LookupException e) {
                failRemaining("4.3.0", "TLS policy lookup for " + hop.text() + " failed: " + e.getMessage());
                return;
            } catch (IllegalArgumentException e) {
                // A table edited since the start into something invalid: never a weaker level.
                log.warning("smtp", "TLS policy lookup for " + hop.text() + ": " + e.getMessage());
                failRemaining("4.7.5", "client TLS configuration problem");
                return;
            }
            String cacheKey = hop.text() + " " + policy + SaslClient.cacheScope(settings.sasl(), request);
            if (reuse(cacheKey)) {
                return;
            }
            NextHopConnector.Route route = connector.servers(hop);
            if (route instanceof NextHopConnector.Failed f) {
                failed(f);
                return;
            }
            NextHopConnector.Servers servers = (NextHopConnector.Servers) route;
            boolean plaintextRetry = false;
            while (!pending.isEmpty()) {
                NextHopConnector.Outcome o = plaintextRetry ? servers.again() : servers.next();
                if (o instanceof NextHopConnector.Failed f) {
                    failed(f);
                    return;
                }
                conn = ((NextHopConnector.Opened) o).connection();
                relay = ((NextHopConnector.Opened) o).relay();
                finalServer = servers.lastAddress();
                clean = false;
                boolean tls = policy.usesTls() && !plaintextRetry;
                plaintextRetry = false;
                List<String> caps = null;
                boolean lost = false;
                try {
                    caps = session(hop, policy, tls);
                    if (caps == TLS_HANDSHAKE_FAILED) {
                        plaintextRetry = true;
                    } else if (caps != null) {
                        finalServer = servers.sessionStarted();
                        setupDone = System.nanoTime();
                        transaction(caps, false);
                    }
                } catch (IOException e) {
                    lost = true;
                    failRemaining("4.4.2", lostConnection(e));
                }
                if (pending.isEmpty() && caps != null && tls == policy.usesTls()) {
                    keep(cacheKey, caps);
                } else {
                    // As Postfix: QUIT unless the connection is lost or a failed handshake left it unusable.
                    quit(!lost && !plaintextRetry);
                }
            }
        }

        /**
         * Greeting done: EHLO, STARTTLS by policy (when {@code tls}), EHLO again, AUTH. The
         * capabilities to use, null after a failure (recorded for the recipients or kept for the
         * next server), or {@link #TLS_HANDSHAKE_FAILED} when an opportunistic handshake failed
         * and Postfix's rule allows trying the same server again without TLS.
         */
        private List<String> session(NextHop hop, TlsPolicy policy, boolean tls) throws IOException {
            List<String> caps = ehlo(policy);
            if (caps == null) {
                return null;
            }
            if (tls) {
                caps = startTls(hop, policy, caps);
                if (caps == null || caps == TLS_HANDSHAKE_FAILED) {
                    return caps;
                }
            }
            // SMTP AUTH (SaslClient): after the last EHLO, before MAIL FROM.
            stage = "performing the AUTH handshake";
            var authFailure = SaslClient.authenticate(settings.sasl(), log, conn, caps, relay, request, settings.heloTimeout());
            if (authFailure.isPresent()) {
                failRemaining(authFailure.get().verdict(), authFailure.get().diagnostic());
                return null;
            }
            return caps;
        }

        /** The DNS lookup or every server failed: the recipients' result, whatever server this was. */
        private void failed(NextHopConnector.Failed f) {
            finalServer = true;
            relay = f.relay();
            if (f.permanent()) {
                bounceRemaining(f.dsn(), f.diagnostic());
            } else {
                failRemaining(f.dsn(), f.diagnostic());
            }
        }

        /** Ends a server's session that is not kept: QUIT when it can still hear it, then close. */
        private void quit(boolean polite) {
            if (conn == null || cached) {
                return;
            }
            if (polite) {
                conn.send("QUIT\r\n");
            }
            conn.close();
            conn = null;
        }

        /** smtp_proto.c smtp_stream_except(): "conversation with X timed out while ..." or "lost connection with X while ...". */
        String lostConnection(IOException e) {
            String m = e.getMessage();
            return SmtpConnection.trouble(e, relay) + " while " + stage
                    + (m == null || m.equals("lost connection") || m.equals(SmtpConnection.TIMED_OUT) ? "" : ": " + m);
        }

        /**
         * Delivers over a cached connection when one is idle for this next hop. Postfix probes a
         * cached connection with RSET first (smtp_reuse.c); we start the transaction at once and
         * save that round trip on every message: a connection found dead before the server
         * accepted MAIL FROM (lost, or 421) has taken nothing, so it is dropped without a trace
         * and the next cached one, or a new one, carries the message.
         */
        private boolean reuse(String cacheKey) throws IOException {
            ConnectionCache.Idle idle;
            while ((idle = cache.take(cacheKey)) != null) {
                conn = idle.connection();
                relay = idle.relay();
                connectionUse = idle.uses() + 1;
                setupDone = System.nanoTime();
                if (transaction(idle.capabilities(), true)) {
                    keep(cacheKey, idle.capabilities());
                    return true;
                }
                conn.close();
                conn = null;
            }
            relay = "none";
            stage = "connecting";
            connectionUse = 1;
            setupDone = 0;
            return false;
        }

        /** Returns the connection to the cache instead of saying QUIT, if its transaction ended cleanly. */
        private void keep(String cacheKey, List<String> caps) {
            if (clean) {
                cache.put(cacheKey, conn, relay, caps, connectionUse);
                cached = true;
            }
        }

        private List<String> ehlo(TlsPolicy policy) throws IOException {
            stage = "sending EHLO";
            ServerReply r = conn.command("EHLO " + settings.heloName(), settings.heloTimeout());
            if (r.code() == 250) {
                String first = r.lines().get(0);
                String[] words = first.length() > 4 ? first.substring(4).trim().split("\\s+", 2) : new String[] {""};
                ehloName = words[0];
                return capabilities(r);
            }
            if (policy.mandatory()) {
                failRemaining("4.7.4", "TLS is required, but host " + relayHost() + " refused EHLO: " + r.diagnostic());
                return null;
            }
            r = conn.command("HELO " + settings.heloName(), settings.heloTimeout());
            if (r.code() != 250) {
                failRemaining(r, "host " + relayHost() + " refused to talk to me: " + r.diagnostic());
                return null;
            }
            return List.of();
        }

        private List<String> startTls(NextHop hop, TlsPolicy policy, List<String> caps) throws IOException {
            if (!caps.contains("STARTTLS")) {
                if (policy.mandatory()) {
                    failRemaining("4.7.4", "TLS is required, but was not offered by host " + relayHost());
                    return null;
                }
                return caps;
            }
            stage = "sending STARTTLS";
            ServerReply r = conn.command("STARTTLS", settings.timeouts().starttls()); // as Postfix's smtp_proto.c
            if (r.code() != 220) {
                if (policy.mandatory()) {
                    failRemaining("4.7.5", "TLS is required, but host " + relayHost() + " refused STARTTLS: " + r.diagnostic());
                    return null;
                }
                return caps;
            }
            if (conn.hasUnreadInput()) {
                failRemaining("4.7.5", "Cannot start TLS: host " + relayHost() + " sent data after its STARTTLS reply");
                return null;
            }
            stage = "performing the TLS handshake";
            String failure = TlsHandshake.run(conn, tls, policy, hop, relay, settings, log, request.transport(), ehloName);
            if (failure != null) {
                boolean retry = failure.equals(TlsHandshake.HANDSHAKE_FAILURE) && plaintextFallbackAllowed(policy);
                if (retry) {
                    finalServer = false; // Postfix's RETRY_AS_PLAINTEXT: this failure only skips to the retry
                }
                failRemaining("4.7.5", failure);
                return retry ? TLS_HANDSHAKE_FAILED : null;
            }
            stage = "sending EHLO";
            // RFC 3207 §4.2: forget what the server said before TLS.
            r = conn.command("EHLO " + settings.heloName(), settings.heloTimeout());
            if (r.code() != 250) {
                failRemaining(r, "host " + relayHost() + " refused to talk to me: " + r.diagnostic());
                return null;
            }
            return capabilities(r);
        }

        /**
         * One mail transaction. With PIPELINING (RFC 2920) MAIL FROM, every RCPT TO and DATA go out
         * in one write and the replies are read in order, as Postfix's smtp does; otherwise one
         * command per round trip. Returns false, having recorded nothing, when a reused connection
         * turns out dead before MAIL FROM was accepted.
         */
        private boolean transaction(List<String> caps, boolean reused) throws IOException {
            boolean pipelining = caps.contains("PIPELINING");
            nextHopDsn = caps.contains("DSN");
            List<MailAddress> rcpts = List.copyOf(pending);
            if (!mapEnvelope(rcpts)) {
                return true;
            }
            StringBuilder commands = mailFrom(caps);
            if (pipelining) {
                for (MailAddress rcpt : rcpts) {
                    rcptTo(commands, rcpt);
                }
                commands.append("DATA\r\n");
            }
            stage = "sending MAIL FROM";
            conn.send(commands);
            ServerReply r;
            try {
                r = conn.reply(settings.timeouts().mail());
            } catch (IOException e) {
                if (reused) {
                    return false;
                }
                throw e;
            }
            if (reused && r.code() == 421) {
                return false;
            }
            boolean mailAccepted = r.positive();
            if (!mailAccepted) {
                failRemaining(r, said(r, "MAIL FROM"));
            }
            List<MailAddress> accepted = new ArrayList<>();
            ServerReply data = pipelining ? pipelinedReplies(rcpts, mailAccepted, accepted)
                    : mailAccepted ? lockStep(rcpts, accepted) : null;
            if (data == null || data.code() != 354) {
                for (MailAddress a : accepted) { // empty when DATA was not sent
                    result(a, data, said(data, "DATA"));
                }
                abort();
            } else if (accepted.isEmpty()) {
                // Only when pipelined: DATA was accepted though no recipient was. RFC 2920 §3.1 says
                // the client must then send just the terminating dot; the server refuses that empty
                // transaction, and its reply, like Postfix, we read to stay in step and ignore.
                stage = "sending end of data";
                conn.send(".\r\n");
                conn.reply(settings.dataDoneTimeout());
                clean = true;
            } else {
                content(accepted);
            }
            return true;
        }

        /**
         * smtp_generic_maps on the envelope, as Postfix's smtp_proto.c builds MAIL FROM and RCPT TO
         * (smtp_rewrite_generic_internal()): the null sender is never looked up, ORCPT keeps the
         * queued address. False when a table could not answer ({@link #genericLookupFailed}).
         */
        private boolean mapEnvelope(List<MailAddress> rcpts) {
            wireRecipients.clear();
            wireSender = request.sender().toString();
            if (generic.isEmpty()) {
                return true; // the common case: nothing to look up, nothing to allocate per delivery
            }
            try {
                wireSender = generic.envelope(request.sender().toString(), w -> log.warning("smtp", w));
                for (MailAddress rcpt : rcpts) {
                    wireRecipients.put(rcpt, generic.envelope(rcpt.toString(), w -> log.warning("smtp", w)));
                }
                return true;
            } catch (GenericMaps.LookupFailed e) {
                genericLookupFailed(e.getMessage());
                return false;
            }
        }

        /** The RCPT and DATA replies to a pipelined group; the DATA reply is returned. */
        private ServerReply pipelinedReplies(List<MailAddress> rcpts, boolean mailAccepted, List<MailAddress> accepted)
                throws IOException {
            stage = "sending RCPT TO";
            for (MailAddress rcpt : rcpts) {
                ServerReply r = conn.reply(settings.timeouts().rcpt());
                // After a refused MAIL FROM these are 503s; the recipients already have their result.
                if (mailAccepted) {
                    recipient(rcpt, r, accepted);
                }
            }
            stage = "sending DATA";
            return conn.reply(settings.timeouts().dataInit());
        }

        /** RCPT TO one at a time, then DATA if a recipient was accepted; the DATA reply or null. */
        private ServerReply lockStep(List<MailAddress> rcpts, List<MailAddress> accepted) throws IOException {
            stage = "sending RCPT TO";
            for (MailAddress rcpt : rcpts) {
                conn.send(rcptTo(new StringBuilder(), rcpt));
                recipient(rcpt, conn.reply(settings.timeouts().rcpt()), accepted);
            }
            if (accepted.isEmpty()) {
                return null;
            }
            stage = "sending DATA";
            return conn.command("DATA", settings.timeouts().dataInit());
        }

        private StringBuilder mailFrom(List<String> caps) {
            StringBuilder mail = new StringBuilder(256).append("MAIL FROM:<").append(wireSender).append('>');
            if (caps.stream().anyMatch(c -> c.startsWith("SIZE"))) {
                mail.append(" SIZE=").append(request.content().size());
            }
            // As Postfix: the client's BODY=8BITMIME goes on when the next hop offers 8BITMIME (if it
            // does not, the message is sent unchanged: Postern does not convert to 7bit).
            if (request.eightBitMime() && caps.contains("8BITMIME")) {
                mail.append(" BODY=8BITMIME");
            }
            if (request.smtpUtf8() && caps.contains("SMTPUTF8")) {
                mail.append(" SMTPUTF8");
            }
            if (nextHopDsn) {
                DsnClientParameters.mail(mail, request.dsn());
            }
            return mail.append("\r\n");
        }

        private StringBuilder rcptTo(StringBuilder out, MailAddress rcpt) {
            out.append("RCPT TO:<").append(wireRecipients.getOrDefault(rcpt, rcpt.toString())).append('>');
            if (nextHopDsn) {
                DsnClientParameters.rcpt(out, rcpt, request.dsnOf(rcpt), request.smtpUtf8());
            }
            return out.append("\r\n");
        }

        private void recipient(MailAddress rcpt, ServerReply r, List<MailAddress> accepted) {
            if (r.positive()) {
                accepted.add(rcpt);
            } else {
                result(rcpt, r, said(r, "RCPT TO"));
            }
        }

        /**
         * The message and the end-of-data reply. A small message and its terminator leave in one
         * write; larger ones in 64 KiB writes, each awaited so the body never piles up in memory.
         */
        private void content(List<MailAddress> accepted) throws IOException {
            stage = "sending message body";
            long size = request.content().size();
            ContentWriter cw = new ContentWriter();
            ByteBuf out = conn.buffer((int) Math.min(size, CHUNK) + 1024);
            try (InputStream in = CheckedContent.wrap(request.content().open(), checks, generic, request.queueId(), log)) {
                byte[] buf = new byte[(int) Math.max(512, Math.min(size, CHUNK))];
                int n;
                while ((n = in.read(buf)) > 0) {
                    cw.chunk(buf, n, out);
                    if (out.readableBytes() >= CHUNK) {
                        ByteBuf full = out;
                        out = conn.buffer(CHUNK + 1024);
                        conn.write(full);
                    }
                }
                cw.finish(out);
            } catch (CheckedContent.LookupFailed e) {
                out.release();
                localDataError(e.getMessage());
                return;
            } catch (CheckedContent.GenericLookupFailed e) {
                out.release();
                genericLookupFailed(e.getMessage());
                return;
            } catch (IOException | RuntimeException e) {
                out.release();
                throw e;
            }
            conn.writeLast(out);
            if (conn.writeTimedOut()) { // the last chunk stalled: "timed out while sending message body"
                throw new IOException(SmtpConnection.TIMED_OUT);
            }
            stage = "waiting for the end of data reply";
            ServerReply r = conn.reply(settings.dataDoneTimeout());
            for (MailAddress a : accepted) {
                if (r.positive()) {
                    pending.remove(a);
                    // Postfix smtp_rcpt_done(): a next hop that offered DSN took NOTIFY=SUCCESS over.
                    results.add(new RecipientResult.Sent(a, relay, r.dsn(), r.diagnostic(), setup(), transmission(),
                            connectionUse, nextHopDsn ? RecipientResult.SuccessNotice.PASSED_ON
                            : RecipientResult.SuccessNotice.RELAYED));
                } else {
                    result(a, r, said(r, "end of DATA"));
                }
            }
            clean = r.code() != 421; // 421: the server is closing the connection
        }

        /**
         * An smtp_*_checks table could not answer in the middle of the content: Postfix's
         * SMTP_ERR_DATA (smtp_proto.c, smtp_trouble.c smtp_stream_except()): its warning, the
         * recipients deferred with {@code 4.3.0 local data error while talking to host[addr]} (or
         * kept for the next server, as any soft failure), and the session dropped without QUIT,
         * which would only be more data now.
         */
        private void localDataError(String warning) {
            log.warning("smtp", warning);
            clean = false;
            conn.close();
            failRemaining("4.3.0", "local data error while talking to " + relayHost());
        }

        /**
         * smtp_generic_maps could not answer. Postfix's smtp process ends there (msg_fatal): the
         * session is dropped without QUIT, no recipient is tried on another server, and qmgr
         * defers the mail as "4.3.0 unknown mail transport error". Postern keeps running, so
         * the fatal's text is a warning with the queue ID, and the recipients get that deferral.
         */
        private void genericLookupFailed(String problem) {
            log.warning("smtp", request.queueId() + ": " + problem);
            clean = false;
            conn.close();
            finalServer = true;
            failRemaining("4.3.0", "unknown mail transport error");
        }

        /**
         * Ends a transaction that never reached the end of data with RSET, as Postfix does, so the
         * next message can use the connection; a connection that fails this is not kept.
         */
        private void abort() {
            try {
                conn.send("RSET\r\n");
                clean = conn.reply(settings.timeouts().rset()).code() == 250;
            } catch (IOException e) {
                clean = false;
            }
        }

        private String said(ServerReply r, String command) {
            return "host " + relayHost() + " said: " + r.diagnostic() + " (in reply to " + command + " command)";
        }

        private String relayHost() {
            int colon = relay.lastIndexOf("]:");
            return colon > 0 ? relay.substring(0, colon + 1) : relay;
        }

        private List<String> capabilities(ServerReply r) {
            List<String> caps = new ArrayList<>();
            for (String line : r.lines().subList(1, r.lines().size())) {
                caps.add(line.length() > 4 ? line.substring(4).trim().toUpperCase(Locale.ROOT) : "");
            }
            return caps;
        }

        /**
         * Postfix's PLAINTEXT_FALLBACK_OK_AFTER_STARTTLS_FAILURE: at level may, a failed handshake
         * is retried without TLS on the same server, but only for a message that has waited at
         * least minimal_backoff_time (a first attempt defers, so a passing glitch does not send
         * mail in the clear) and never when SMTP AUTH could be needed (credentials in the clear).
         */
        private boolean plaintextFallbackAllowed(TlsPolicy policy) {
            return policy.level() == dev.postern.tls.TlsLevel.MAY && !settings.sasl().enabled()
                    && !Duration.between(request.arrival(), java.time.Instant.now()).minus(settings.nextHops().plaintextFallbackAge())
                    .isNegative();
        }

        /** A soft failure on a server that is not the final one: logged, the recipients stay for the next. */
        private boolean keptForNextServer(String dsn, String diagnostic) {
            if (finalServer || !dsn.startsWith("4")) {
                return false;
            }
            log.info("smtp", request.queueId() + ": " + diagnostic);
            return true;
        }

        private void result(MailAddress rcpt, ServerReply r, String diagnostic) {
            if (r.code() >= 400 && r.code() < 500 && keptForNextServer(r.dsn(), diagnostic)) {
                return;
            }
            pending.remove(rcpt);
            results.add(r.code() >= 500 && r.code() < 600
                    ? new RecipientResult.Bounced(rcpt, relay, r.dsn(), diagnostic, setup(), transmission(), connectionUse)
                    : new RecipientResult.Deferred(rcpt, relay, r.dsn().startsWith("5") ? "4.0.0" : r.dsn(), diagnostic,
                    setup(), transmission(), connectionUse));
        }

        void failRemaining(ServerReply r, String diagnostic) {
            if (r.code() >= 400 && r.code() < 500 && keptForNextServer(r.dsn(), diagnostic)) {
                return;
            }
            for (MailAddress rcpt : new ArrayList<>(pending)) {
                result(rcpt, r, diagnostic);
            }
        }

        void bounceRemaining(String dsn, String diagnostic) {
            for (MailAddress rcpt : pending) {
                results.add(new RecipientResult.Bounced(rcpt, relay, dsn, diagnostic, setup(), transmission(), connectionUse));
            }
            pending.clear();
        }

        void failRemaining(String dsn, String diagnostic) {
            if (pending.isEmpty() || keptForNextServer(dsn, diagnostic)) {
                return;
            }
            for (MailAddress rcpt : pending) {
                results.add(new RecipientResult.Deferred(rcpt, relay, dsn, diagnostic, setup(), transmission(), connectionUse));
            }
            pending.clear();
        }

        private Duration setup() {
            return Duration.ofNanos((setupDone == 0 ? System.nanoTime() : setupDone) - start);
        }

        private Duration transmission() {
            return setupDone == 0 ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - setupDone);
        }
    }

    /**
     * Checks the SMTP client's settings as {@code postern check} and start must: TLS levels in
     * main.cf and in every smtp_tls_policy_maps entry (an unknown word, dane or dane-only names the
     * table's file and line), fingerprints, cipher grades, smtp_host_lookup, postern_dns_servers,
     * and the smtp_*_checks tables (a missing file or a bad line names the table's file and line).
     * @return warnings: smtp_*_checks tables that cannot answer now (their mail is deferred until they can)
     */
    public static List<String> validate(dev.postern.config.Config c) throws dev.postern.config.ConfigException {
        return ClientConfigCheck.check(c);
    }

    @Override
    public void close() {
        cache.close();
        tls.close();
    }
}
