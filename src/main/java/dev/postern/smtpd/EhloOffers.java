package dev.postern.smtpd;

import dev.postern.log.MailLog;
import dev.postern.maps.LookupException;
import dev.postern.maps.TableList;
import dev.postern.tls.TlsSetupException;

import java.net.InetAddress;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which EHLO keywords each client of one service is offered: smtpd_discard_ehlo_keywords for
 * all, unless smtpd_discard_ehlo_keyword_address_maps has a value for the client's address, which
 * replaces the list (Postfix smtpd_proto(): {@code maps_find(ehlo_discard_maps, state->addr, 0)},
 * else {@code var_smtpd_ehlo_dis_words}). Looked up once per connection, and only when the
 * tables are configured; the replies of each distinct value are built once.
 */
final class EhloOffers {
    /**
     * Distinct table values kept with their replies. Tables hold a handful; a regexp table that
     * substitutes $n could make any number, and past this many they are built per connection
     * (and an unknown keyword in them is no longer logged).
     */
    private static final int CACHE_LIMIT = 256;

    private final SmtpdSettings settings;
    private final EhloOffer standard;
    private final TableList maps; // null: smtpd_discard_ehlo_keyword_address_maps is empty
    private final MailLog log;
    private final ConcurrentHashMap<String, EhloOffer> byValue = new ConcurrentHashMap<>();

    private EhloOffers(SmtpdSettings settings, TableList maps, MailLog log) {
        this.settings = settings;
        this.standard = new EhloOffer(settings, settings.discardEhlo().keywords());
        this.maps = maps;
        this.log = log;
    }

    /**
     * @throws TlsSetupException when the list hides STARTTLS on a service that requires it ({@link EhloDiscardCheck})
     * @throws IllegalArgumentException naming the parameter for a table that cannot be opened
     */
    static EhloOffers of(SmtpdSettings settings, MailLog log) throws TlsSetupException {
        EhloDiscardCheck.refuseUnusable(settings);
        return new EhloOffers(settings, open(settings), log);
    }

    /** The tables of smtpd_discard_ehlo_keyword_address_maps, or null when there are none. */
    static TableList open(SmtpdSettings settings) {
        return settings.discardEhlo().maps().isEmpty() ? null
                : TableList.open("smtpd_discard_ehlo_keyword_address_maps", settings.discardEhlo().maps());
    }

    /** What clients without a table entry get. */
    EhloOffer standard() {
        return standard;
    }

    /**
     * The offer for {@code client}. The key is the address as Postfix prints it (state->addr:
     * dotted quad, compressed IPv6), the whole string only: no parent networks are tried (a cidr:
     * table covers ranges) and never the client's name, as Postfix ("not searched by hostname for
     * robustness reasons").
     * @throws LookupException when a table cannot answer (the caller refuses EHLO, as Postfix)
     */
    EhloOffer forClient(InetAddress client) throws LookupException {
        if (maps == null) {
            return standard;
        }
        Optional<TableList.Match> m = maps.find(PeerNames.printable(client), false);
        return m.isEmpty() ? standard : offerFor(m.get());
    }

    private EhloOffer offerFor(TableList.Match m) {
        EhloOffer known = byValue.get(m.value());
        if (known != null) {
            return known;
        }
        EhloOffer offer = new EhloOffer(settings, EhloDiscard.parse(m.value()));
        boolean first = byValue.size() < CACHE_LIMIT && byValue.putIfAbsent(m.value(), offer) == null;
        if (first && !offer.discard.unknown().isEmpty()) {
            // Postfix ignores the word without a word; postern check names it too, but a table can
            // change after start (and a regexp table's value is only known when it matches).
            log.warning(settings.serviceName(), m + ": " + EhloDiscardCheck.unknownWords(offer.discard));
        }
        return offer;
    }
}
