package dev.postern.smtpd;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** anvil(8) arithmetic: concurrency, rates per time unit, window reset, forgetting idle clients. */
class AnvilTest {
    private final AtomicLong now = new AtomicLong(1_000);
    private final Anvil anvil = new Anvil(Duration.ofSeconds(60), now::get);
    private final InetAddress a = InetAddress.getLoopbackAddress();

    private static InetAddress other() throws Exception {
        return InetAddress.getByName("192.0.2.9");
    }

    @Test
    void countsSimultaneousConnectionsAndTheirRate() throws Exception {
        assertEquals(new Anvil.Connection(1, 1), anvil.connect(a));
        assertEquals(new Anvil.Connection(2, 2), anvil.connect(a));
        assertEquals(new Anvil.Connection(1, 1), anvil.connect(other()), "per client address");
        anvil.disconnect(a);
        assertEquals(new Anvil.Connection(2, 3), anvil.connect(a), "one left, one new; three in this minute");
    }

    @Test
    void ratesResetWhenTheTimeUnitHasPassed() {
        for (int i = 1; i <= 5; i++) {
            assertEquals(i, anvil.record(a, Anvil.Event.MESSAGE));
        }
        assertEquals(1, anvil.record(a, Anvil.Event.RECIPIENT), "each event has its own count");
        assertEquals(5, anvil.rate(a, Anvil.Event.MESSAGE), "rate() does not count");
        now.addAndGet(Duration.ofSeconds(59).toNanos());
        assertEquals(6, anvil.record(a, Anvil.Event.MESSAGE), "still the same minute");
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        assertEquals(1, anvil.record(a, Anvil.Event.MESSAGE), "a new minute");
        assertEquals(0, anvil.rate(a, Anvil.Event.RECIPIENT));
    }

    @Test
    void idleClientsAreForgottenButOpenOnesAreNot() throws Exception {
        anvil.connect(a);
        anvil.connect(other());
        anvil.disconnect(other());
        anvil.sweep();
        assertEquals(2, anvil.trackedClients(), "the idle client's minute is not over yet");
        now.addAndGet(Duration.ofSeconds(61).toNanos());
        anvil.sweep();
        assertEquals(1, anvil.trackedClients(), "only the client with an open connection is kept");
        assertEquals(2, anvil.connect(a).open());
    }
}
