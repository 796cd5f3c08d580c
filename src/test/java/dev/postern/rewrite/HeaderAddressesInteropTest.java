package dev.postern.rewrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.postern.testing.PostfixInstance;
import dev.postern.testing.SmtpTestClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The golden cases again, against the Postfix installed here rather than the captured outputs:
 * every case header goes through a private Postfix (same configuration as the capture) to a
 * loopback sink, and must come out as {@link HeaderAddresses} predicts. Skipped without Postfix,
 * failed under CI=true (see PostfixInstance and Peers).
 */
class HeaderAddressesInteropTest {
    private static final Pattern CASE = Pattern.compile("(?ms)^X-Case: (\\d+)\r\n(.*?)\r\nX-End: \\1\r\n");

    @Test
    void postfixRelaysEveryCaseAsPredicted(@TempDir Path dir) throws Exception {
        List<String> headers = HeaderAddressesPostfixTest.cases().map(HeaderAddressesPostfixTest.Case::in).toList();
        try (Sink sink = new Sink()) {
            Path canonical = Files.writeString(dir.resolve("canonical.re"), "/^(.*)@old\\.example$/ ${1}@new.example\n");
            Path generic = Files.writeString(dir.resolve("generic.re"),
                    "/^(.*)@generic-old\\.example$/ ${1}@generic-new.example\n");
            Map<String, String> mainCf = new HashMap<>();
            mainCf.put("myorigin", "origin.example");
            mainCf.put("relayhost", "[127.0.0.1]:" + sink.port());
            mainCf.put("local_header_rewrite_clients", "static:all");
            mainCf.put("sender_canonical_maps", "regexp:" + canonical);
            mainCf.put("recipient_canonical_maps", "regexp:" + canonical);
            mainCf.put("smtp_generic_maps", "regexp:" + generic);
            mainCf.put("masquerade_domains", "");
            mainCf.put("swap_bangpath", "no");
            mainCf.put("allow_percent_hack", "no");
            mainCf.put("append_dot_mydomain", "no");
            mainCf.put("message_drop_headers", "content-length");
            try (PostfixInstance postfix = PostfixInstance.start(dir.resolve("postfix"), mainCf)) {
                send(postfix.smtpPort(), headers);
                Map<Integer, String> relayed = new HashMap<>();
                while (relayed.size() < headers.size()) {
                    String data = sink.messages.poll(60, TimeUnit.SECONDS);
                    assertNotNull(data, () -> "Postfix relayed " + relayed.size() + " of " + headers.size() + " cases");
                    Matcher m = CASE.matcher(data);
                    assertTrue(m.find(), data);
                    relayed.put(Integer.parseInt(m.group(1)), m.group(2).replace("\r\n", "\n"));
                }
                for (int i = 0; i < headers.size(); i++) {
                    assertEquals(relayed.get(i), HeaderAddressesPostfixTest.asRelayedByPostfix(headers.get(i)), "case " + i);
                }
            }
        }
    }

    private static void send(int port, List<String> headers) throws IOException {
        try (SmtpTestClient c = new SmtpTestClient(new InetSocketAddress("127.0.0.1", port))) {
            expect("220", c.reply());
            expect("250", c.command("EHLO client.example"));
            for (int i = 0; i < headers.size(); i++) {
                expect("250", c.command("MAIL FROM:<sender@client.example>"));
                expect("250", c.command("RCPT TO:<rcpt@dest.example>"));
                expect("354", c.command("DATA"));
                String message = "X-Case: " + i + "\r\n" + headers.get(i).replace("\n", "\r\n") + "\r\nX-End: " + i
                        + "\r\nSubject: case " + i + "\r\n\r\nbody\r\n.\r\n";
                // SmtpTestClient sends one byte per char: hand it the UTF-8 bytes.
                c.sendRaw(new String(message.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
                expect("250", c.reply());
            }
            c.command("QUIT");
        }
    }

    private static void expect(String code, String reply) {
        assertTrue(reply != null && reply.startsWith(code), () -> "expected " + code + ", got " + reply);
    }

    /** A next hop that announces 8BITMIME and SMTPUTF8 and keeps each message's DATA as text. */
    private static final class Sink implements AutoCloseable {
        final LinkedBlockingQueue<String> messages = new LinkedBlockingQueue<>();
        private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());

        Sink() throws IOException {
            Thread t = new Thread(this::acceptLoop, "header-addresses-sink");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        private void acceptLoop() {
            while (!socket.isClosed()) {
                try {
                    Socket s = socket.accept();
                    Thread t = new Thread(() -> serve(s), "header-addresses-sink-session");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket s) {
            try (s; BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                    OutputStream out = s.getOutputStream()) {
                reply(out, "220 sink ESMTP");
                String line;
                while ((line = in.readLine()) != null) {
                    String verb = line.length() >= 4 ? line.substring(0, 4).toUpperCase() : line.toUpperCase();
                    switch (verb) {
                        case "EHLO" -> reply(out, "250-sink\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 PIPELINING");
                        case "DATA" -> {
                            reply(out, "354 go ahead");
                            messages.add(readData(in));
                            reply(out, "250 ok");
                        }
                        case "QUIT" -> {
                            reply(out, "221 bye");
                            return;
                        }
                        default -> reply(out, "250 ok");
                    }
                }
            } catch (IOException e) {
                // the client went away; what it sent is already recorded
            }
        }

        private static String readData(BufferedReader in) throws IOException {
            StringBuilder data = new StringBuilder();
            String line;
            while ((line = in.readLine()) != null && !line.equals(".")) {
                data.append(line.startsWith(".") ? line.substring(1) : line).append("\r\n");
            }
            return data.toString();
        }

        private static void reply(OutputStream out, String text) throws IOException {
            out.write((text + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
