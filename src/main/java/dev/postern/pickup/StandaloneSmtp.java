package dev.postern.pickup;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code sendmail -bs}: an SMTP dialog on standard input and output, like Postfix's
 * {@code smtpd -S} behind sendmail. Each message goes to maildrop/ at its final dot, and the 250
 * is written only after the file is durable. Pipelining works because commands are read and
 * answered in order; the output is flushed whenever no more input is buffered.
 */
public final class StandaloneSmtp {
    /** Longer lines are cut (the rest of the line is dropped), so no input can exhaust memory. */
    private static final int LINE_LIMIT = 1 << 20;

    private final SendmailSettings settings;
    private final Maildrop maildrop;
    private final InputStream in;
    private final OutputStream out;

    private String sender;          // null: no MAIL yet
    private final List<String> recipients = new ArrayList<>();

    public StandaloneSmtp(SendmailSettings settings, Maildrop maildrop, InputStream in, OutputStream out) {
        this.settings = settings;
        this.maildrop = maildrop;
        this.in = in;
        this.out = out;
    }

    /** Runs the dialog until QUIT or end of input. */
    public void run() throws IOException {
        try {
            dialog();
        } finally {
            out.flush();
        }
    }

    private void dialog() throws IOException {
        reply("220 " + settings.banner());
        String line;
        while ((line = readLine()) != null) {
            String upper = line.toUpperCase(Locale.ROOT);
            String verb = upper.split(" ", 2)[0];
            switch (verb) {
                case "EHLO" -> ehlo(line, true);
                case "HELO" -> ehlo(line, false);
                case "MAIL" -> mail(line);
                case "RCPT" -> rcpt(line);
                case "DATA" -> data();
                case "RSET" -> {
                    reset();
                    reply("250 2.0.0 Ok");
                }
                case "NOOP" -> reply("250 2.0.0 Ok");
                case "VRFY" -> reply("502 5.5.1 VRFY command is disabled");
                case "QUIT" -> {
                    reply("221 2.0.0 Bye");
                    return;
                }
                case "" -> reply("500 5.5.2 Error: bad syntax");
                default -> reply("502 5.5.2 Error: command not recognized");
            }
        }
    }

    private void ehlo(String line, boolean extended) throws IOException {
        if (line.trim().indexOf(' ') < 0) {
            reply("501 Syntax: " + (extended ? "EHLO" : "HELO") + " hostname");
            return;
        }
        reset();
        if (!extended) {
            reply("250 " + settings.myhostname());
            return;
        }
        reply("250-" + settings.myhostname() + "\r\n250-PIPELINING\r\n"
                + (settings.contentLimit() > 0 ? "250-SIZE " + settings.contentLimit() + "\r\n" : "")
                + "250-ENHANCEDSTATUSCODES\r\n250 8BITMIME");
    }

    private void mail(String line) throws IOException {
        if (sender != null) {
            reply("503 5.5.1 Error: nested MAIL command");
            return;
        }
        String path = path(line, "MAIL FROM:");
        if (path == null) {
            reply("501 5.5.4 Syntax: MAIL FROM:<address>");
            return;
        }
        String rest = line.substring(line.indexOf('>') + 1).trim().toUpperCase(Locale.ROOT);
        for (String param : rest.isEmpty() ? new String[0] : rest.split("\\s+")) {
            if (param.startsWith("SIZE=") && settings.contentLimit() > 0) {
                try {
                    if (Long.parseLong(param.substring(5)) > settings.contentLimit()) {
                        reply("552 5.3.4 Message size exceeds fixed limit");
                        return;
                    }
                } catch (NumberFormatException e) {
                    reply("501 5.5.4 Bad message size syntax");
                    return;
                }
            }
        }
        if (path.isEmpty()) {
            sender = "";
        } else {
            String q = settings.accept(path).orElse(null); // as given: cleanup completes it (Postfix's smtpd -S too)
            if (q == null) {
                reply("501 5.1.7 <" + path + ">: Bad sender address syntax");
                return;
            }
            sender = q;
        }
        reply("250 2.1.0 Ok");
    }

    private void rcpt(String line) throws IOException {
        if (sender == null) {
            reply("503 5.5.1 Error: need MAIL command");
            return;
        }
        String path = path(line, "RCPT TO:");
        if (path == null) {
            reply("501 5.5.4 Syntax: RCPT TO:<address>");
            return;
        }
        String q = settings.accept(path).orElse(null);
        if (q == null) {
            reply("501 5.1.3 <" + path + ">: Bad recipient address syntax");
            return;
        }
        recipients.add(q);
        reply("250 2.1.5 Ok");
    }

    private void data() throws IOException {
        if (sender == null) {
            reply("503 5.5.1 Error: need RCPT command");
            return;
        }
        if (recipients.isEmpty()) {
            reply("554 5.5.1 Error: no valid recipients");
            return;
        }
        reply("354 End data with <CR><LF>.<CR><LF>");
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        boolean tooBig = false;
        String line;
        while (true) {
            line = readLine();
            if (line == null) {
                return; // the client went away: nothing was acknowledged, nothing is kept
            }
            if (line.equals(".")) {
                break;
            }
            byte[] bytes = (line.startsWith(".") ? line.substring(1) : line).getBytes(StandardCharsets.ISO_8859_1);
            if (settings.contentLimit() > 0 && content.size() + bytes.length + 2 > settings.contentLimit()) {
                tooBig = true;
                content.reset();
            }
            if (!tooBig) {
                content.writeBytes(bytes);
                content.writeBytes(new byte[] {'\r', '\n'});
            }
        }
        if (tooBig) {
            reply("552 5.3.4 Error: message file too big");
        } else {
            try {
                String name = maildrop.deposit(new MaildropFile(sender, "", recipients, content.toByteArray()));
                reply("250 2.0.0 Ok: queued as " + name);
            } catch (IOException | IllegalArgumentException e) {
                reply("451 4.3.0 Error: queue file write error");
            }
        }
        reset();
    }

    /** The text between the angle brackets after {@code prefix}, or null when the syntax is wrong. */
    private static String path(String line, String prefix) {
        if (!line.regionMatches(true, 0, prefix, 0, prefix.length())) {
            return null;
        }
        String rest = line.substring(prefix.length()).trim();
        int close = rest.indexOf('>');
        if (!rest.startsWith("<") || close < 0) {
            return null;
        }
        return rest.substring(1, close);
    }

    private void reset() {
        sender = null;
        recipients.clear();
    }

    /** One line without its CRLF or bare LF, ISO-8859-1 so every byte survives; null at end of input. */
    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                break;
            }
            if (line.size() < LINE_LIMIT) {
                line.write(c);
            }
        }
        if (c < 0 && line.size() == 0) {
            return null;
        }
        byte[] b = line.toByteArray();
        int n = b.length > 0 && b[b.length - 1] == '\r' ? b.length - 1 : b.length;
        return new String(b, 0, n, StandardCharsets.ISO_8859_1);
    }

    private void reply(String text) throws IOException {
        out.write((text + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        if (in.available() == 0) {
            out.flush();
        }
    }
}
