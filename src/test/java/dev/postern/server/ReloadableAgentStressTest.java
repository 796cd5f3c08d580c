package dev.postern.server;

import dev.postern.mail.DeliveryAgent;
import dev.postern.mail.DeliveryRequest;
import dev.postern.mail.MailAddress;
import dev.postern.mail.MessageContent;
import dev.postern.mail.QueueId;
import dev.postern.mail.RecipientResult;
import dev.postern.mail.ReversePath;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ReloadableAgent's lock-free hand-over (count up, re-check current, count down) under real
 * concurrency: 8 threads deliver 3000 times each while another replaces or retires the agent 2000
 * times (sizes and spin length overridable: postern.stress.deliveries, .swaps, .spin). Each agent
 * is instrumented: it must be closed exactly once, never while or before a delivery runs on it, and
 * every delivery must come back with its agent's, the fallback's or the 4.3.0 "unavailable" result.
 * Interleavings are randomized from a seed (per thread) so a failing seed can be re-run; the swapper
 * paces itself on the deliverers' progress, never on sleeps. The sizes are what it takes to catch a
 * broken hand-over: with the re-check after the count-up removed from deliver(), a delivery lands on
 * a closed agent in most seeds (the window is a few instructions wide, so this needs many swaps).
 */
class ReloadableAgentStressTest {
    private static final int THREADS = 8;
    private static final int PER_THREAD = Integer.getInteger("postern.stress.deliveries", 3000);
    private static final int SWAPS = Integer.getInteger("postern.stress.swaps", 2000);
    private static final int TOTAL = THREADS * PER_THREAD;
    private static final int SPIN = Integer.getInteger("postern.stress.spin", 20);

    /** Each worker's seeded source of spins, yields and swap choices. */
    private static final ThreadLocal<Random> RANDOM = ThreadLocal.withInitial(() -> new Random(0));

    /** Widens the race windows by a random amount: busy spins, sometimes a yield. */
    private static void jitter() {
        Random r = RANDOM.get();
        for (int i = r.nextInt(SPIN); i > 0; i--) {
            Thread.onSpinWait();
        }
        if (r.nextInt(8) == 0) {
            Thread.yield();
        }
    }

    private static RecipientResult result(MailAddress rcpt, String by) {
        return new RecipientResult.Deferred(rcpt, by, "4.0.0", by, Duration.ZERO, Duration.ZERO);
    }

    /** An agent that counts its deliveries and closes and records any misuse in {@code violations}. */
    private static final class Probe implements ClosableAgent {
        final String name;
        final Queue<String> violations;
        final AtomicInteger closes = new AtomicInteger();
        final AtomicInteger running = new AtomicInteger();
        final AtomicInteger delivered = new AtomicInteger();
        volatile boolean closed;
        volatile boolean closedByDelivery;

        Probe(int n, Queue<String> violations) {
            this.name = "agent-" + n;
            this.violations = violations;
        }

        @Override
        public List<RecipientResult> deliver(DeliveryRequest request) {
            running.incrementAndGet();
            try {
                if (closed) {
                    violations.add(name + ": delivery started after close");
                }
                jitter();
                if (closed) {
                    violations.add(name + ": closed while a delivery ran on it");
                }
                delivered.incrementAndGet();
                return List.of(result(request.recipients().get(0), name));
            } finally {
                running.decrementAndGet();
            }
        }

        @Override
        public void close() {
            int n = closes.incrementAndGet();
            if (n > 1) {
                violations.add(name + ": closed " + n + " times");
            }
            int r = running.get();
            if (r > 0) {
                violations.add(name + ": closed with " + r + " deliveries running");
            }
            closedByDelivery = Thread.currentThread().getName().startsWith("deliverer-");
            closed = true;
        }
    }

    private static final MessageContent EMPTY = new MessageContent() {
        @Override
        public InputStream open() {
            return new ByteArrayInputStream(new byte[0]);
        }

        @Override
        public long size() {
            return 0;
        }
    };

    private static DeliveryRequest request(MailAddress rcpt) {
        return new DeliveryRequest(QueueId.next(), ReversePath.of(MailAddress.parse("me@example.org")),
                List.of(rcpt), "relay", "[192.0.2.1]", EMPTY, Instant.now(), false, false);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1L, 2L, 3L, 20240607L, 0x5EEDL})
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void swapsUnderConcurrentDeliveriesCloseEachAgentOnceAndLoseNoDelivery(long seed) throws Exception {
        Queue<String> violations = new ConcurrentLinkedQueue<>();
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Probe> probes = new CopyOnWriteArrayList<>();
        Map<String, LongAdder> byFallback = new ConcurrentHashMap<>();
        Map<String, LongAdder> seen = new ConcurrentHashMap<>(); // result's relay -> count, as deliverers saw it
        LongAdder unavailable = new LongAdder();
        AtomicInteger completed = new AtomicInteger();

        Probe first = new Probe(0, violations);
        probes.add(first);
        ReloadableAgent agent = new ReloadableAgent(first);
        Probe[] current = {first}; // written by the swapper only, read after join

        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int id = t;
            threads.add(new Thread(() -> {
                RANDOM.set(new Random(seed * 31 + id));
                try {
                    start.await();
                    for (int i = 0; i < PER_THREAD; i++) {
                        MailAddress rcpt = MailAddress.parse("u" + id + "-" + i + "@example.com");
                        List<RecipientResult> r = agent.deliver(request(rcpt));
                        assertNotNull(r, "a delivery came back with no result");
                        assertEquals(1, r.size(), r::toString);
                        RecipientResult one = r.get(0);
                        assertEquals(rcpt, one.recipient(), "another delivery's result");
                        if (one.dsn().equals("4.3.0") && one.diagnostic().equals("mail transport unavailable")) {
                            unavailable.increment();
                        } else {
                            assertTrue(one.relay().startsWith("agent-") || one.relay().startsWith("fallback-"), one::toString);
                            seen.computeIfAbsent(one.relay(), k -> new LongAdder()).increment();
                        }
                        completed.incrementAndGet();
                        jitter();
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "deliverer-" + t));
        }
        threads.add(new Thread(() -> {
            Random rnd = new Random(seed);
            RANDOM.set(new Random(~seed));
            try {
                start.await();
                for (int s = 1; s <= SWAPS; s++) {
                    // Pace on progress: swap s comes after about s/(SWAPS+1) of the deliveries, and
                    // half the time only once a delivery is running on the current agent.
                    int due = s * TOTAL / (SWAPS + 1);
                    boolean waitInFlight = rnd.nextBoolean();
                    while (completed.get() < TOTAL && (completed.get() < due
                            || waitInFlight && current[0] != null && current[0].running.get() == 0)) {
                        Thread.yield();
                    }
                    int op = s == SWAPS ? 9 : rnd.nextInt(10); // end on a live agent, to check close()
                    if (op == 0) {
                        agent.retire();
                        current[0] = null;
                    } else if (op == 1) {
                        String name = "fallback-" + s;
                        LongAdder count = byFallback.computeIfAbsent(name, k -> new LongAdder());
                        agent.retireTo(req -> {
                            count.increment();
                            return List.of(result(req.recipients().get(0), name));
                        });
                        current[0] = null;
                    } else {
                        Probe next = new Probe(s, violations);
                        probes.add(next);
                        agent.replace(next);
                        current[0] = next;
                    }
                }
            } catch (Throwable e) {
                failures.add(e);
            }
        }, "swapper"));
        threads.forEach(t -> t.setDaemon(true)); // a hang fails on @Timeout rather than holding the JVM
        threads.forEach(Thread::start);
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }

        String context = "seed " + seed;
        assertTrue(failures.isEmpty(), () -> context + ": " + failures.peek() + " (and " + (failures.size() - 1) + " more)");
        assertTrue(violations.isEmpty(), () -> context + ": " + violations);
        assertEquals(TOTAL, completed.get(), context);

        // 3. every delivery accounted for: each agent's and fallback's own count is what deliverers got back
        long total = unavailable.sum();
        for (Probe p : probes) {
            assertEquals(p.delivered.get(), count(seen, p.name), context + ": " + p.name);
            total += p.delivered.get();
        }
        for (Map.Entry<String, LongAdder> f : byFallback.entrySet()) {
            assertEquals(f.getValue().sum(), count(seen, f.getKey()), context + ": " + f.getKey());
            total += f.getValue().sum();
        }
        assertEquals(TOTAL, total, context + ": deliveries lost or counted twice");

        // 1. every replaced agent closed exactly once, the current one still open until close()
        Probe live = current[0];
        assertNotNull(live, context);
        for (Probe p : probes) {
            assertEquals(p == live ? 0 : 1, p.closes.get(), context + ": closes of " + p.name);
        }
        agent.close();
        assertEquals(1, live.closes.get(), context + ": close() closes the current agent");
        assertTrue(violations.isEmpty(), () -> context + ": " + violations);

        // The run did exercise the race: some replaced agent was closed by its last delivery, not by the swap.
        assertTrue(probes.stream().anyMatch(p -> p.closedByDelivery), context + ": no agent closed by its last delivery");
    }

    private static long count(Map<String, LongAdder> seen, String name) {
        LongAdder a = seen.get(name);
        return a == null ? 0 : a.sum();
    }
}
