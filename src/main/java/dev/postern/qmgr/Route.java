package dev.postern.qmgr;

import dev.postern.mail.MailAddress;
import dev.postern.maps.LookupException;

/**
 * Where one recipient goes: a transport (master.cf service name) and its next hop; local = no
 * agent. For the {@code error} and {@code retry} transports the next hop is the reason text,
 * optionally starting with an enhanced status code ({@code 5.1.1 User unknown}), as in Postfix.
 * A value: recipients with equal routes are delivered together, which is why the explanation of a
 * route is kept apart from it ({@link Router.Decision}).
 */
public record Route(String transport, String nexthop, boolean local) {
    /**
     * Postfix qmgr's redirect to the retry transport when the address resolver fails (a table that
     * cannot answer): the recipient is deferred with 4.3.0, never routed elsewhere. The reason
     * names the parameter, not the table's file.
     */
    public static Route resolverFailure(LookupException e) {
        return new Route("retry", "4.3.0 address resolver failure"
                + (e.parameter() == null ? "" : " (" + e.parameter() + " lookup failure)"), false);
    }

    /**
     * Postfix qmgr_message_resolve(): a message with a content filter ({@code transport:nexthop},
     * from its queue file) has every recipient sent there instead of resolved; "content filtering
     * overrides the address resolver", whatever the recipient's class. The filter is split at its
     * first ':'; without a next hop (no ':' or nothing after it) it is {@code defaultNexthop}
     * (default_filter_nexthop) or, when that is empty, the recipient's domain (Postfix 2.7 and later).
     */
    public static Route contentFilter(String filter, MailAddress recipient, String defaultNexthop) {
        int colon = filter.indexOf(':');
        String transport = colon < 0 ? filter : filter.substring(0, colon);
        String nexthop = colon < 0 ? "" : filter.substring(colon + 1);
        if (nexthop.isEmpty()) {
            nexthop = defaultNexthop.isEmpty() ? recipient.domainKey() : defaultNexthop;
        }
        return new Route(transport, nexthop, transport.equals("local"));
    }
}
