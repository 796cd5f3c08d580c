package dev.postern.qmgr;

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
}
