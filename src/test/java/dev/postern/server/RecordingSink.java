package dev.postern.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Writer;
import java.io.OutputStreamWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A loopback next hop written independently of Postern's own SMTP code (plain blocking sockets),
 * recording each message's envelope and raw DATA bytes exactly as they crossed the wire.
 */
final class RecordingSink implements AutoCloseable {
    /** {@code helo}: the name the client gave in its last EHLO or HELO on that connection. */
    record Message(String mailFrom, List<String> rcptTo, String data, String helo) {
    }

    private final ServerSocket socket;
    private final LinkedBlockingQueue<Message> messages = new LinkedBlockingQueue<>();
    /** Numbers the replies' "queued as SINKn" (not the queue's size: a test may take a message before it is counted). */
    private final java.util.concurrent.atomic.AtomicInteger received = new java.util.concurrent.atomic.AtomicInteger();
    /** RCPT replies by address (without brackets); others get {@link #defaultRcptReply}. */
    final java.util.Map<String, String> rcptReplies = new java.util.concurrent.ConcurrentHashMap<>();
    volatile String defaultRcptReply = "250 2.1.5 Ok";
    /** Announce DSN (RFC 3461) in the EHLO reply; mailFrom and rcptTo then show the parameters received. */
    volatile boolean offerDsn;

    private RecordingSink(ServerSocket socket) {
        this.socket = socket;
    }

    static RecordingSink start() throws IOException {
        return start(0);
    }

    static RecordingSink start(int port) throws IOException {
        ServerSocket ss = new ServerSocket();
        ss.setReuseAddress(true);
        ss.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        RecordingSink s = new RecordingSink(ss);
        Thread t = new Thread(s::acceptLoop, "recording-sink");
        t.setDaemon(true);
        t.start();
        return s;
    }

    int port() {
        return socket.getLocalPort();
    }

    /** The next message received, or null after the timeout. */
    Message take(long seconds) throws InterruptedException {
        return messages.poll(seconds, TimeUnit.SECONDS);
    }

    /** The next message received within 20 s; fails the test, saying {@code what} was expected, when none came. */
    Message expect(String what) throws InterruptedException {
        Message m = take(20);
        if (m == null) {
            throw new AssertionError(what);
        }
        return m;
    }

    int pending() {
        return messages.size();
    }

    private void acceptLoop() {
        while (!socket.isClosed()) {
            try {
                Socket c = socket.accept();
                Thread t = new Thread(() -> serve(c), "recording-sink-session");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket c) {
        try (c) {
            c.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.ISO_8859_1));
            OutputStream raw = c.getOutputStream();
            Writer out = new OutputStreamWriter(raw, StandardCharsets.ISO_8859_1);
            send(out, "220 sink.test ESMTP");
            String from = null;
            String helo = null;
            List<String> rcpts = new ArrayList<>();
            String line;
            while ((line = in.readLine()) != null) {
                String upper = line.toUpperCase();
                if (upper.startsWith("EHLO") || upper.startsWith("HELO")) {
                    helo = line.substring(4).trim();
                }
                if (upper.startsWith("EHLO")) {
                    send(out, "250-sink.test\r\n250-PIPELINING\r\n" + (offerDsn ? "250-DSN\r\n" : "") + "250 8BITMIME");
                } else if (upper.startsWith("HELO")) {
                    send(out, "250 sink.test");
                } else if (upper.startsWith("MAIL FROM:")) {
                    from = line.substring(10).trim();
                    rcpts = new ArrayList<>();
                    send(out, "250 2.1.0 Ok");
                } else if (upper.startsWith("RCPT TO:")) {
                    String path = line.substring(8).trim();
                    String address = path.replaceAll("^<|>.*$", "");
                    String reply = rcptReplies.getOrDefault(address, defaultRcptReply);
                    if (reply.startsWith("2")) {
                        rcpts.add(path);
                    }
                    send(out, reply);
                } else if (upper.equals("DATA") && rcpts.isEmpty()) {
                    send(out, "554 5.5.1 Error: no valid recipients");
                } else if (upper.equals("DATA")) {
                    send(out, "354 go ahead");
                    StringBuilder data = new StringBuilder();
                    String d;
                    while ((d = in.readLine()) != null && !d.equals(".")) {
                        data.append(d.startsWith(".") ? d.substring(1) : d).append("\r\n");
                    }
                    if (d == null) {
                        return; // the client went away before the final dot: nothing was delivered
                    }
                    int n = received.incrementAndGet();
                    messages.add(new Message(from, List.copyOf(rcpts), data.toString(), helo));
                    send(out, "250 2.0.0 Ok: queued as SINK" + n);
                } else if (upper.startsWith("QUIT")) {
                    send(out, "221 2.0.0 Bye");
                    return;
                } else if (upper.startsWith("RSET") || upper.startsWith("NOOP")) {
                    send(out, "250 2.0.0 Ok");
                } else {
                    send(out, "502 5.5.2 Error: command not recognized");
                }
            }
        } catch (IOException ignored) {
            // The peer went away; nothing to record.
        }
    }

    private static void send(Writer out, String text) throws IOException {
        out.write(text + "\r\n");
        out.flush();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
