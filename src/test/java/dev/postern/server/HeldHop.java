package dev.postern.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback next hop that holds each transaction at its final dot until the test lets it go
 * ({@link #release}, {@link #openGate}), and counts what a destination concurrency limit allows:
 * transactions in progress (from MAIL FROM to the reply to the final dot, which lies inside the
 * client's delivery), the most seen at once, and the connections open (a client's connection cache
 * keeps them open between transactions, so they are counted apart), also over several hops
 * together ({@link Group}). Plain blocking sockets,
 * independent of Postern's SMTP code; PIPELINING is offered, as Postfix's clients expect.
 */
final class HeldHop implements AutoCloseable {
    /** A message the hop accepted: envelope and the EHLO name of its connection. */
    record Message(String mailFrom, List<String> rcptTo, String helo) {
    }

    /**
     * Transactions in progress over several hops together, and the most at once: what a limit on
     * a transport with several destinations (its master.cf maxproc) allows.
     */
    static final class Group {
        private final AtomicInteger inTransaction = new AtomicInteger();
        private final AtomicInteger maxInTransaction = new AtomicInteger();

        int inTransaction() {
            return inTransaction.get();
        }

        int maxInTransaction() {
            return maxInTransaction.get();
        }

        /** Starts counting the most at once afresh, from the transactions in progress now. */
        void resetMax() {
            maxInTransaction.set(inTransaction.get());
        }
    }

    private final ServerSocket socket;
    private final Group group;
    private final Semaphore permits = new Semaphore(0);
    private final java.util.concurrent.atomic.AtomicBoolean open = new java.util.concurrent.atomic.AtomicBoolean();
    private final AtomicInteger inTransaction = new AtomicInteger();
    private final AtomicInteger maxInTransaction = new AtomicInteger();
    private final AtomicInteger held = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private final List<Message> accepted = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    private HeldHop(ServerSocket socket, Group group) {
        this.socket = socket;
        this.group = group;
    }

    static HeldHop start() throws IOException {
        return start(new Group());
    }

    /** A hop whose transactions also count in {@code group}. */
    static HeldHop start(Group group) throws IOException {
        ServerSocket ss = new ServerSocket();
        ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        HeldHop h = new HeldHop(ss, group);
        Thread t = new Thread(h::acceptLoop, "held-hop");
        t.setDaemon(true);
        t.start();
        return h;
    }

    int port() {
        return socket.getLocalPort();
    }

    /** Lets {@code n} held transactions (now or to come) have their 250. */
    void release(int n) {
        permits.release(n);
    }

    /** Lets every transaction through from now on, held ones included. */
    void openGate() {
        if (open.compareAndSet(false, true)) {
            permits.release(Integer.MAX_VALUE / 2); // the ones waiting now; later ones see open
        }
    }

    /** Transactions waiting at their final dot now. */
    int held() {
        return held.get();
    }

    /** Transactions between MAIL FROM and the reply to their final dot now. */
    int inTransaction() {
        return inTransaction.get();
    }

    /** The most transactions ever in progress at once. */
    int maxInTransaction() {
        return maxInTransaction.get();
    }

    /** Client connections open now (in a transaction or idle in the client's connection cache). */
    int connections() {
        return connections.get();
    }

    /** Messages accepted (250 to the final dot), in order. */
    List<Message> accepted() {
        return List.copyOf(accepted);
    }

    private void acceptLoop() {
        while (!socket.isClosed()) {
            try {
                Socket c = socket.accept();
                connections.incrementAndGet();
                sockets.add(c);
                Thread t = new Thread(() -> serve(c), "held-hop-session");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket c) {
        boolean inTx = false;
        try (c) {
            BufferedReader in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.ISO_8859_1));
            Writer out = new OutputStreamWriter(c.getOutputStream(), StandardCharsets.ISO_8859_1);
            send(out, "220 held.test ESMTP");
            String helo = null;
            String from = null;
            List<String> rcpts = new ArrayList<>();
            String line;
            while ((line = in.readLine()) != null) {
                String upper = line.toUpperCase();
                if (upper.startsWith("EHLO")) {
                    helo = line.substring(4).trim();
                    send(out, "250-held.test\r\n250-PIPELINING\r\n250 8BITMIME");
                } else if (upper.startsWith("HELO")) {
                    helo = line.substring(4).trim();
                    send(out, "250 held.test");
                } else if (upper.startsWith("MAIL FROM:")) {
                    if (!inTx) {
                        inTx = true;
                        maxInTransaction.accumulateAndGet(inTransaction.incrementAndGet(), Math::max);
                        group.maxInTransaction.accumulateAndGet(group.inTransaction.incrementAndGet(), Math::max);
                    }
                    from = line.substring(10).trim();
                    rcpts = new ArrayList<>();
                    send(out, "250 2.1.0 Ok");
                } else if (upper.startsWith("RCPT TO:")) {
                    rcpts.add(line.substring(8).trim());
                    send(out, "250 2.1.5 Ok");
                } else if (upper.equals("DATA") && rcpts.isEmpty()) {
                    send(out, "554 5.5.1 Error: no valid recipients");
                } else if (upper.equals("DATA")) {
                    send(out, "354 go ahead");
                    String d;
                    while ((d = in.readLine()) != null && !d.equals(".")) {
                        // the content is not looked at
                    }
                    if (d == null) {
                        return;
                    }
                    held.incrementAndGet();
                    try {
                        if (!open.get()) {
                            permits.acquire();
                        }
                    } finally {
                        held.decrementAndGet();
                    }
                    accepted.add(new Message(from, List.copyOf(rcpts), helo));
                    // Out of the count before the client can see the 250 and start its next delivery.
                    inTx = false;
                    inTransaction.decrementAndGet();
                    group.inTransaction.decrementAndGet();
                    send(out, "250 2.0.0 Ok: queued as HELD" + accepted.size());
                } else if (upper.startsWith("RSET")) {
                    if (inTx) {
                        inTx = false;
                        inTransaction.decrementAndGet();
                        group.inTransaction.decrementAndGet();
                    }
                    send(out, "250 2.0.0 Ok");
                } else if (upper.startsWith("NOOP")) {
                    send(out, "250 2.0.0 Ok");
                } else if (upper.startsWith("QUIT")) {
                    send(out, "221 2.0.0 Bye");
                    return;
                } else {
                    send(out, "502 5.5.2 Error: command not recognized");
                }
            }
        } catch (IOException | InterruptedException ignored) {
            // the client went away, or the hop is closing
        } finally {
            if (inTx) {
                inTransaction.decrementAndGet();
                group.inTransaction.decrementAndGet();
            }
            sockets.remove(c);
            connections.decrementAndGet();
        }
    }

    private static void send(Writer out, String text) throws IOException {
        out.write(text + "\r\n");
        out.flush();
    }

    @Override
    public void close() throws IOException {
        openGate();
        socket.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
