package dev.postern.server;

import dev.postern.config.ConfigException;
import dev.postern.config.MasterService;
import dev.postern.util.HostPort;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where a master.cf inet service listens: its own {@code host:port}, or its port on every
 * address of inet_interfaces ("all", "loopback-only", or a list), filtered by inet_protocols.
 */
final class ListenAddresses {
    private static final Map<String, Integer> WELL_KNOWN = Map.of("smtp", 25, "submission", 587,
            "submissions", 465, "smtps", 465);

    private ListenAddresses() {}

    static List<InetSocketAddress> of(MasterService service, List<String> inetInterfaces, String inetProtocols)
            throws ConfigException {
        String name = service.name();
        int colon = name.lastIndexOf(':');
        if (colon >= 0 && WELL_KNOWN.containsKey(name.substring(colon + 1).toLowerCase(Locale.ROOT))) {
            // host:submission, as Postfix allows: a service name for the port
            name = name.substring(0, colon + 1) + WELL_KNOWN.get(name.substring(colon + 1).toLowerCase(Locale.ROOT));
        }
        HostPort hp;
        try {
            hp = name.contains(":") || name.startsWith("[") ? HostPort.parse(name) : new HostPort("", port(name, service), false);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(service.file(), service.line(), "bad service address \"" + name + "\": "
                    + e.getMessage(), "write port, host:port or [ipv6]:port");
        }
        int port = hp.port() < 0 ? port(hp.host(), service) : hp.port();
        List<InetSocketAddress> out = new ArrayList<>();
        if (!hp.host().isEmpty()) {
            out.add(new InetSocketAddress(resolve(hp.host(), service), port));
            return out;
        }
        String protocols = inetProtocols.toLowerCase(Locale.ROOT);
        boolean v4 = !protocols.equals("ipv6");
        boolean v6 = protocols.equals("all") || protocols.contains("ipv6");
        for (String iface : inetInterfaces) {
            switch (iface.toLowerCase(Locale.ROOT)) {
                case "all" -> out.add(new InetSocketAddress(resolve(v6 ? "::" : "0.0.0.0", service), port));
                case "loopback-only", "localhost" -> {
                    if (v4) {
                        out.add(new InetSocketAddress(resolve("127.0.0.1", service), port));
                    }
                    if (v6) {
                        out.add(new InetSocketAddress(resolve("::1", service), port));
                    }
                }
                default -> {
                    try {
                        out.add(new InetSocketAddress(resolve(iface.replace("[", "").replace("]", ""), service), port));
                    } catch (ConfigException e) {
                        throw e.prefixed(INET_INTERFACES); // Plan places it at the inet_interfaces line
                    }
                }
            }
        }
        if (out.isEmpty()) {
            throw new ConfigException("main.cf", 0, "inet_interfaces is empty", "set inet_interfaces = all or loopback-only");
        }
        return out;
    }

    /** The problem prefix of an error in an inet_interfaces entry. */
    static final String INET_INTERFACES = "inet_interfaces: ";

    private static int port(String text, MasterService service) throws ConfigException {
        Integer known = WELL_KNOWN.get(text.toLowerCase(Locale.ROOT));
        if (known != null) {
            return known;
        }
        int port;
        try {
            port = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new ConfigException(service.file(), service.line(), "unknown service port \"" + text + "\"",
                    "use a number or one of smtp, submission, submissions");
        }
        if (port < 0 || port > 65535) {
            throw new ConfigException(service.file(), service.line(), "service port " + text + " is out of range",
                    "use a port from 0 to 65535");
        }
        return port;
    }

    private static InetAddress resolve(String host, MasterService service) throws ConfigException {
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new ConfigException(service.file(), service.line(), "cannot resolve listen address \"" + host + "\"",
                    "use an IP address or a name in /etc/hosts");
        }
    }
}
