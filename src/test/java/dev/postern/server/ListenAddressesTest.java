package dev.postern.server;

import dev.postern.config.ConfigException;
import dev.postern.config.MasterService;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** master.cf service names as listen addresses: port, name, host:port, [ipv6]:port, with inet_interfaces. */
class ListenAddressesTest {
    private static MasterService service(String name) {
        return new MasterService(name, "inet", "smtpd", Map.of(), List.of(), "-", "master.cf", 3);
    }

    private static List<String> of(String name, List<String> interfaces, String protocols) throws ConfigException {
        return ListenAddresses.of(service(name), interfaces, protocols).stream()
                .map(a -> a.getAddress().getHostAddress() + " " + a.getPort()).toList();
    }

    @Test
    void hostAndPortInTheServiceNameWin() throws Exception {
        assertEquals(List.of("127.0.0.1 10587"), of("127.0.0.1:10587", List.of("all"), "all"));
        assertEquals(List.of("0:0:0:0:0:0:0:1 10588"), of("[::1]:10588", List.of("all"), "all"));
        assertEquals(List.of("127.0.0.1 587"), of("127.0.0.1:submission", List.of("all"), "all"));
    }

    @Test
    void aBarePortOrNameListensOnInetInterfaces() throws Exception {
        assertEquals(List.of("127.0.0.1 587"), of("submission", List.of("loopback-only"), "ipv4"));
        assertEquals(List.of("127.0.0.1 25", "0:0:0:0:0:0:0:1 25"), of("smtp", List.of("loopback-only"), "all"));
        assertEquals(List.of("0:0:0:0:0:0:0:1 465"), of("465", List.of("localhost"), "ipv6"));
        assertEquals(List.of("127.0.0.2 2525", "0:0:0:0:0:0:0:1 2525"), of("2525", List.of("127.0.0.2", "[::1]"), "all"));
        assertEquals(List.of("0.0.0.0 587"), of("587", List.of("all"), "ipv4"));
    }

    @Test
    void mistakesNameTheMasterCfLine() {
        ConfigException port = assertThrows(ConfigException.class, () -> of("submisson", List.of("all"), "all"));
        assertTrue(port.getMessage().startsWith("master.cf:3: unknown service port \"submisson\""), port.getMessage());
        ConfigException addr = assertThrows(ConfigException.class, () -> of("[::1:587", List.of("all"), "all"));
        assertTrue(addr.getMessage().startsWith("master.cf:3: bad service address"), addr.getMessage());
        ConfigException range = assertThrows(ConfigException.class, () -> of("99999", List.of("all"), "all"));
        assertTrue(range.getMessage().startsWith("master.cf:3: service port 99999 is out of range"), range.getMessage());
    }

    /** A real listener on [::1], as the master.cf syntax allows. */
    @Test
    void ipv6ServiceAddressReallyListens() throws Exception {
        List<InetSocketAddress> a = ListenAddresses.of(service("[::1]:0"), List.of("all"), "all");
        try (java.net.ServerSocket s = new java.net.ServerSocket()) {
            s.bind(a.get(0));
            assertTrue(s.getLocalSocketAddress().toString().contains("0:0:0:0:0:0:0:1"), s.getLocalSocketAddress().toString());
        }
    }
}
