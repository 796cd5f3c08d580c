package dev.postern.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The demo's walk through the seed's client side: one message from each kind of sender is handed to
 * the desktop MTA, and the two loopback next hops are watched to see where each arrived. "The world"
 * is the submission server's next hop, so a message there went desktop → submission server → world;
 * the submission server's Received header must also say the client certificate was verified. "The
 * ISP" is the desktop's smarthost (relayhost).
 */
final class DemoTour {
    enum Where {
        WORLD("the world, through the submission server (TLS, client certificate verified)"),
        WORLD_UNVERIFIED("the world, but without a verified client certificate"),
        ISP("the ISP's smarthost"),
        NOWHERE("nowhere yet");

        final String words;

        Where(String words) {
            this.words = words;
        }
    }

    /** A sender the seed says something about, and where its mail must go. */
    record Sender(String address, String why, Where expected) {
    }

    record Outcome(Sender sender, Where went) {
        boolean ok() {
            return went == sender.expected();
        }
    }

    static final List<Sender> SENDERS = List.of(
            new Sender("me@" + DemoFiles.ROUTED_DOMAIN, "the seed's own domain", Where.WORLD),
            new Sender("me@laptop." + DemoFiles.ROUTED_DOMAIN, "a subdomain of it", Where.WORLD),
            new Sender("me@old-isp-account.example", "any other sender", Where.ISP));
    static final String RECIPIENT = "someone@somewhere.else.example";

    private DemoTour() {
    }

    /** Sends one message per sender through {@code desktop} and waits up to {@code timeout} for all to arrive. */
    static List<Outcome> run(InetSocketAddress desktop, Path worldDir, Path ispDir, Duration timeout, PrintWriter out)
            throws IOException, InterruptedException {
        List<String> markers = new ArrayList<>();
        String run = Long.toString(System.nanoTime(), 36);
        for (int i = 0; i < SENDERS.size(); i++) {
            String marker = "demo-" + run + "-" + i;
            markers.add(marker);
            String queued = submit(desktop, SENDERS.get(i).address(), marker);
            out.println("  sent from " + SENDERS.get(i).address() + " (" + SENDERS.get(i).why() + "): " + queued);
        }
        out.flush();
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Outcome> outcomes;
        do {
            outcomes = new ArrayList<>();
            for (int i = 0; i < SENDERS.size(); i++) {
                outcomes.add(new Outcome(SENDERS.get(i), where(markers.get(i), worldDir, ispDir)));
            }
            if (outcomes.stream().noneMatch(o -> o.went() == Where.NOWHERE)) {
                break;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        return outcomes;
    }

    private static Where where(String marker, Path worldDir, Path ispDir) throws IOException {
        String world = find(worldDir, marker);
        if (world != null) {
            return world.contains("(verified OK)") ? Where.WORLD : Where.WORLD_UNVERIFIED;
        }
        return find(ispDir, marker) != null ? Where.ISP : Where.NOWHERE;
    }

    /** The sink file holding {@code marker}, or null. A file being written may not hold it yet: looked at again later. */
    private static String find(Path dir, String marker) throws IOException {
        if (!Files.isDirectory(dir)) {
            return null;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String text = Files.readString(f, StandardCharsets.UTF_8);
                if (text.contains(marker)) {
                    return text;
                }
            }
        }
        return null;
    }

    /** Plain SMTP from loopback, as a local program would submit; returns the 250 reply to the message. */
    private static String submit(InetSocketAddress to, String from, String marker) throws IOException {
        try (Socket s = new Socket(to.getAddress(), to.getPort())) {
            s.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream o = s.getOutputStream();
            expect(in, "220");
            send(o, "EHLO desktop.demo.example");
            expect(in, "250");
            send(o, "MAIL FROM:<" + from + ">");
            expect(in, "250");
            send(o, "RCPT TO:<" + RECIPIENT + ">");
            expect(in, "250");
            send(o, "DATA");
            expect(in, "354");
            send(o, "From: <" + from + ">\r\nTo: <" + RECIPIENT + ">\r\nSubject: postern demo " + marker
                    + "\r\n\r\nSent by postern demo from " + from + " (" + marker + ").\r\n.");
            String queued = expect(in, "250");
            send(o, "QUIT");
            return queued;
        }
    }

    private static void send(OutputStream o, String line) throws IOException {
        o.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        o.flush();
    }

    /** Reads one (possibly multi-line) reply; its last line, or an IOException naming what came instead. */
    private static String expect(BufferedReader in, String code) throws IOException {
        String line;
        do {
            line = in.readLine();
            if (line == null) {
                throw new IOException("the desktop MTA closed the connection (expected " + code + ")");
            }
        } while (line.length() > 3 && line.charAt(3) == '-');
        if (!line.startsWith(code)) {
            throw new IOException("the desktop MTA answered \"" + line + "\" (expected " + code + ")");
        }
        return line;
    }

    /** Prints the table; true when every message went where the seed says. */
    static boolean report(List<Outcome> outcomes, PrintWriter out) {
        out.println("Where each message went:");
        boolean all = true;
        for (Outcome o : outcomes) {
            all &= o.ok();
            out.printf("  %-40s -> %s%s%n", o.sender().address(), o.went().words,
                    o.ok() ? "  [as the seed says]" : "  [WRONG: the seed says " + o.sender().expected().words + "]");
        }
        out.flush();
        return all;
    }
}
