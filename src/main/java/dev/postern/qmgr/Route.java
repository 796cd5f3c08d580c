package dev.postern.qmgr;

/** Where one recipient goes: a transport (master.cf service name) and its next hop; local = no agent. */
public record Route(String transport, String nexthop, boolean local) {
}
