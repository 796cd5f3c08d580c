package dev.postern.cli;

import dev.postern.config.Config;
import dev.postern.config.ConfigException;
import dev.postern.config.ConfigLoader;
import dev.postern.pickup.AddressList;
import dev.postern.pickup.HeaderSection;
import dev.postern.pickup.Maildrop;
import dev.postern.pickup.MaildropFile;
import dev.postern.pickup.SendmailInput;
import dev.postern.pickup.SendmailSettings;
import dev.postern.pickup.StandaloneSmtp;
import dev.postern.server.PidFile;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code postern sendmail} (also the launcher invoked as {@code sendmail}): the command programs
 * call to send mail, with Postfix's sendmail options. The message goes to maildrop/ (see
 * {@link Maildrop}), so it is accepted while the daemon is down; exit 0 means it is on disk.
 * Exit codes are sendmail's (sysexits.h).
 */
@Command(name = SendmailCommand.NAME, description = {
        "Send mail as sendmail(1) does: recipients as arguments or from the headers (-t), the message on stdin.",
        "Options: -t, -i/-oi, -f sender (-r), -F fullname, -bs (SMTP on stdin/stdout), -bp (list the queue),",
        "-q (flush deferred mail; -qRsite for one destination),",
        "-bm (default), -C dir. -o options and Postfix's other ignored options (-4 -6 -A -G -L -O -U -e -h -m -p -x)",
        "are accepted and ignored, as Postfix's sendmail does (-v lists them). Exit codes: 0 queued, 64 usage,",
        "65 bad data, 67 bad recipient, 71 no login name, 73 maildrop not writable, 75 temporary (also a configuration error, as Postfix: the caller keeps the mail and retries)."})
final class SendmailCommand implements Callable<Integer> {
    static final String NAME = "sendmail";
    static final int EX_DATAERR = 65;
    static final int EX_NOUSER = 67;
    static final int EX_SOFTWARE = 70;
    static final int EX_OSERR = 71;
    static final int EX_CANTCREAT = 73;
    static final int EX_TEMPFAIL = 75;

    @CommandLine.ParentCommand
    Main parent;
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    @CommandLine.Unmatched
    List<String> args = new ArrayList<>();

    /** Standard input and output; tests replace them. */
    InputStream stdin = System.in;
    OutputStream stdout = System.out;

    @Override
    public Integer call() {
        try {
            SendmailOptions o = SendmailOptions.parse(args);
            if (o.verbose) {
                o.notes.forEach(n -> err("sendmail: " + n));
            }
            return switch (o.mode) {
                case NOTHING -> 0;
                case MAILQ -> queueVerb(o, List.of());
                case FLUSH -> queueVerb(o, o.flushSite == null ? List.of("-f") : List.of("-s", o.flushSite));
                case SMTP -> smtp(o);
                case ENQUEUE -> enqueue(o);
            };
        } catch (SendmailOptions.Failure f) {
            err("sendmail: fatal: " + f.getMessage());
            return f.code;
        } catch (RuntimeException e) {
            // A defect, not the caller's mistake: sendmail's callers expect a sysexits code.
            err("sendmail: fatal: internal error: " + e);
            return EX_SOFTWARE;
        }
    }

    private int enqueue(SendmailOptions o) {
        SendmailSettings s = settings(o);
        String sender = sender(o, s);
        List<String> recipients = new ArrayList<>();
        for (String arg : o.recipients) {
            List<String> parsed = AddressList.parse(arg);
            if (parsed.isEmpty()) {
                throw new SendmailOptions.Failure(EX_NOUSER, "no address in recipient argument \"" + arg + "\"");
            }
            parsed.forEach(a -> recipients.add(checked(s, a, EX_NOUSER, "recipient")));
        }
        byte[] content;
        try {
            content = SendmailInput.read(new BufferedInputStream(stdin), o.dotEndsInput, s.contentLimit());
        } catch (SendmailInput.TooBigException e) {
            throw new SendmailOptions.Failure(EX_DATAERR, "message file too big (message_size_limit = "
                    + s.messageSizeLimit() + ", less 2048 bytes for the headers the mail system adds)");
        } catch (IOException e) {
            throw new SendmailOptions.Failure(EX_DATAERR, "error reading input: " + e.getMessage());
        }
        if (o.extractRecipients) {
            for (String a : HeaderSection.parse(content).extractRecipients()) {
                recipients.add(checked(s, a, EX_DATAERR, "message header recipient"));
            }
        }
        if (recipients.isEmpty()) {
            throw new SendmailOptions.Failure(SendmailOptions.EX_USAGE, o.extractRecipients
                    ? "No recipient addresses found in message header"
                    : "Recipient addresses must be specified on the command line or via the -t option");
        }
        Maildrop maildrop = new Maildrop(s.queueDirectory());
        deposit(maildrop, new MaildropFile(sender, fullname(o), recipients, content));
        if (new PidFile(s.queueDirectory()).running().isEmpty()) {
            err("sendmail: warning: the mail system is not running: the message waits in "
                    + maildrop.directory() + " until 'postern start'");
        }
        return 0;
    }

    private void deposit(Maildrop maildrop, MaildropFile file) {
        try {
            maildrop.deposit(file);
        } catch (IOException e) {
            if (!cannotCreate(e)) {
                throw new SendmailOptions.Failure(EX_TEMPFAIL, "error writing queue file in " + maildrop.directory()
                        + ": " + reason(e) + "; nothing was queued, try again");
            }
            throw new SendmailOptions.Failure(EX_CANTCREAT, "cannot create a file in " + maildrop.directory() + ": "
                    + reason(e) + (e instanceof AccessDeniedException
                    ? ": only the user the mail system runs as may use sendmail (others submit over SMTP to the loopback listener)"
                    : ": check queue_directory in main.cf"));
        }
    }

    /** Errors that retrying will not fix: the maildrop cannot be created or written by this user. */
    private static boolean cannotCreate(IOException e) {
        if (e instanceof AccessDeniedException || e instanceof NoSuchFileException || e instanceof NotDirectoryException) {
            return true;
        }
        return e instanceof FileSystemException fse && fse.getReason() != null
                && (fse.getReason().contains("Not a directory") || fse.getReason().contains("Read-only file system"));
    }

    private static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "Permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        return String.valueOf(e.getMessage());
    }

    /**
     * As given (cleanup completes it in the local context, as Postfix's), once its completed form
     * is known to be an address; else a failure with {@code code} that says why.
     */
    private static String checked(SendmailSettings s, String address, int code, String what) {
        Optional<String> ok = s.accept(address);
        if (ok.isPresent()) {
            return ok.get();
        }
        String local = s.localForm(address);
        // what main.cf left undone: a routing form stays one when its switch is off
        String routing = local.indexOf('!') >= 0 ? " (swap_bangpath is off)" : local.indexOf('%') >= 0
                ? " (allow_percent_hack is off)" : "";
        if (!local.isEmpty() && local.indexOf('@') < 0) {
            throw new SendmailOptions.Failure(code, "<" + address + ">: bad " + what
                    + " address: no domain, and append_at_myorigin is off" + routing + " (Postern has no local delivery)");
        }
        try {
            dev.postern.mail.MailAddress.parse(local);
            throw new SendmailOptions.Failure(code, "<" + address + ">: bad " + what + " address syntax" + routing);
        } catch (IllegalArgumentException e) {
            throw new SendmailOptions.Failure(code, "<" + address + ">: bad " + what + " address syntax: " + e.getMessage()
                    + routing);
        }
    }

    /** -f (first address of it, as Postfix; "" or "<>" is the null sender), else login@$myorigin. */
    private static String sender(SendmailOptions o, SendmailSettings s) {
        if (o.sender != null) {
            List<String> a = AddressList.parse(o.sender);
            return a.isEmpty() ? "" : checked(s, a.get(0), SendmailOptions.EX_USAGE, "-f sender");
        }
        String login = LocalUser.loginName();
        if (login.isEmpty()) {
            throw new SendmailOptions.Failure(EX_OSERR, "no login name found for user ID " + LocalUser.uid());
        }
        return checked(s, login, SendmailOptions.EX_USAGE, "login-name sender");
    }

    private static String fullname(SendmailOptions o) {
        String name = o.fullname != null ? o.fullname : LocalUser.fullName();
        name = name.replaceAll("[\\x00-\\x1f\\x7f]", " ").strip();
        // Bounded so the From header pickup adds fits in SendmailSettings' header reserve.
        return name.length() > 200 ? name.substring(0, 200) : name;
    }

    private int smtp(SendmailOptions o) {
        SendmailSettings s = settings(o);
        OutputStream out = new BufferedOutputStream(stdout);
        try {
            new StandaloneSmtp(s, new Maildrop(s.queueDirectory()), new BufferedInputStream(stdin), out).run();
            return 0;
        } catch (IOException e) {
            err("sendmail: fatal: SMTP dialog on standard input/output: " + e.getMessage());
            return EX_TEMPFAIL;
        }
    }

    /**
     * -bp and -q: Postfix's sendmail runs {@code postqueue -p} or {@code postqueue -f}; Postern's
     * equivalent is the {@code queue} verb (listing by default), run with this configuration.
     */
    private int queueVerb(SendmailOptions o, List<String> flags) {
        if (!spec.root().subcommands().containsKey("queue")) {
            throw new SendmailOptions.Failure(EX_SOFTWARE, "this build has no 'postern queue' command");
        }
        Path dir = configDirectory(o);
        // Checked here, as the queue verb would (it needs queue_directory only, even from a broken
        // main.cf), so that a configuration error exits 75 as in sendmail's other modes rather than
        // with the queue verb's usage and 2.
        requireDirectory(dir);
        try {
            ConfigLoader.queueDirectory(dir);
        } catch (ConfigException e) {
            throw new SendmailOptions.Failure(EX_TEMPFAIL, e.getMessage());
        }
        List<String> argv = new ArrayList<>(List.of("-c", dir.toString(), "queue"));
        argv.addAll(flags);
        return Main.run(spec.commandLine().getOut(), spec.commandLine().getErr(), argv.toArray(String[]::new));
    }

    private Path configDirectory(SendmailOptions o) {
        if (o.configDir == null) {
            return parent.config.dir != null ? parent.config.dir
                    : Path.of(System.getenv().getOrDefault("POSTERN_CONFIG_DIR", "/etc/postern"));
        }
        Path p = Path.of(o.configDir);
        return Files.isRegularFile(p) && p.getParent() != null ? p.getParent() : p; // -C may name main.cf
    }

    private SendmailSettings settings(SendmailOptions o) {
        Config c = config(o);
        try {
            return SendmailSettings.from(c);
        } catch (IllegalArgumentException e) { // a value main.cf's checks let through but rewriting cannot use
            throw new SendmailOptions.Failure(EX_TEMPFAIL, "main.cf: " + e.getMessage());
        }
    }

    private Config config(SendmailOptions o) {
        Path dir = configDirectory(o);
        requireDirectory(dir);
        try {
            return ConfigLoader.load(dir).config();
        } catch (ConfigException e) {
            throw new SendmailOptions.Failure(EX_TEMPFAIL, e.getMessage());
        }
    }

    private static void requireDirectory(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new SendmailOptions.Failure(EX_TEMPFAIL, "configuration directory " + dir
                    + " does not exist: pass -C DIR or set POSTERN_CONFIG_DIR");
        }
    }

    private void err(String line) {
        spec.commandLine().getErr().println(line);
    }
}
