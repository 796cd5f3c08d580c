package dev.postern.tls;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * The SMTP client's TLS session cache (Postfix's smtp_tls_session_cache_database), kept in
 * memory: which sessions a server may be offered. Netty holds the sessions themselves, in the
 * client SslContext's cache, filed under the peer "host" an engine is created with
 * ({@link TlsClient#newHandler(io.netty.buffer.ByteBufAllocator, ClientTlsOptions, String, String, int)});
 * this class hands out that name for a server id (Postfix's serverid: transport, next hop, host,
 * address, port, level and a digest of the TLS settings, built by the SMTP client) and replaces it
 * with a new one when the entry expires or is forgotten, so a session filed under an old name is
 * never offered again (Netty drops it at its own timeout or size limit).
 *
 * <p>An entry lives smtp_tls_session_cache_timeout from the full handshake that made it, never past
 * the expiry of the certificates that handshake showed ({@link #limit}); resumed handshakes do not
 * extend it (Postfix renews its entry with each new ticket the server sends), so a server gets a
 * full handshake, and Postern a fresh look at its whole chain, at least once per timeout. The names
 * always contain {@code &}, so they are never valid host names: Netty sends no SNI for them (SNI
 * is set separately) and no hostname check can use them.
 */
public final class ClientSessionCache {
    /** Postfix's TLS_SESSION_LIFEMIN (tls_scache.h): a positive timeout below it is raised to it (tlsmgr.c). */
    public static final Duration MIN_TIMEOUT = Duration.ofSeconds(120);
    /** Servers remembered at most; the oldest entry goes first (Postfix's on-disk cache has no such bound). */
    public static final int MAX_ENTRIES = 2048;

    private record Entry(String key, Instant expires) {
    }

    private final Duration timeout;
    private final InstantSource clock;
    /** In insertion order: a new entry is put last, so the oldest come first for the bound and the purge. */
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();
    private long generation;

    /** @param timeout the effective lifetime ({@link #effectiveTimeout}), more than zero */
    public ClientSessionCache(Duration timeout, InstantSource clock) {
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("a session cache needs a positive timeout");
        }
        this.timeout = timeout;
        this.clock = clock;
    }

    /**
     * What Postfix's tlsmgr makes of smtp_tls_session_cache_timeout: zero or less turns the cache
     * off ({@link Duration#ZERO}), a positive value under two minutes becomes two minutes.
     */
    public static Duration effectiveTimeout(Duration configured) {
        if (configured.isZero() || configured.isNegative()) {
            return Duration.ZERO;
        }
        return configured.compareTo(MIN_TIMEOUT) < 0 ? MIN_TIMEOUT : configured;
    }

    public Duration timeout() {
        return timeout;
    }

    /**
     * The name sessions of {@code serverId} are filed under in Netty's cache: the entry's while it
     * lives; otherwise a new entry's (a full handshake follows, and its session is filed there).
     * @param serverId must contain {@code &} (see the class comment)
     */
    public synchronized String lookup(String serverId) {
        if (serverId.indexOf('&') < 0) {
            throw new IllegalArgumentException("a server id must contain '&': " + serverId);
        }
        Instant now = clock.instant();
        Entry e = entries.get(serverId);
        if (e != null && now.isBefore(e.expires())) {
            return e.key();
        }
        purge(now);
        entries.remove(serverId); // re-put last: insertion order is creation order
        e = new Entry(serverId + "&" + (++generation), now.plus(timeout));
        entries.put(serverId, e);
        return e.key();
    }

    /**
     * Drops expired entries from the oldest on, stopping at the first live one (entries expire in
     * creation order but for {@link #limit}, which only shortens some: those wait a little longer),
     * then the oldest beyond {@link #MAX_ENTRIES}.
     */
    private void purge(Instant now) {
        Iterator<Entry> it = entries.values().iterator();
        while (it.hasNext()) {
            Entry x = it.next();
            if (now.isBefore(x.expires()) && entries.size() < MAX_ENTRIES) {
                break;
            }
            it.remove();
        }
    }

    /**
     * After a full handshake filed under {@code key}: the entry ends no later than {@code notAfter}
     * (the earliest expiry among the server's certificates), so no session outlives the chain it
     * was verified with.
     */
    public synchronized void limit(String serverId, String key, Instant notAfter) {
        Entry e = entries.get(serverId);
        if (e != null && e.key().equals(key) && notAfter.isBefore(e.expires())) {
            entries.put(serverId, new Entry(key, notAfter));
        }
    }

    /**
     * Drops the entry (a failed handshake or verdict, Postfix's uncache_session): the next
     * connection to the server gets a full handshake. Only the entry {@code key} came from: one made
     * since by another delivery stays. True when an entry was dropped.
     */
    public synchronized boolean forget(String serverId, String key) {
        Entry e = entries.get(serverId);
        if (e != null && e.key().equals(key)) {
            entries.remove(serverId);
            return true;
        }
        return false;
    }

    /** Live and expired entries not yet purged (tests). */
    synchronized int size() {
        return entries.size();
    }
}
