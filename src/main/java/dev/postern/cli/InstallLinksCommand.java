package dev.postern.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code postern install-links DIR}: symlinks named like Postfix's commands (sendmail, mailq,
 * postqueue, postconf, postmap) to the launcher, which acts as the command it is invoked as.
 * An existing file is replaced only when it is already a symlink to a launcher named postern;
 * anything else is left alone and reported (exit 1).
 */
@Command(name = "install-links", description = {
        "Create symlinks sendmail, mailq, postqueue, postconf and postmap in DIR pointing to the postern launcher.",
        "Existing files are never overwritten unless they already are links to a postern launcher."})
final class InstallLinksCommand implements Callable<Integer> {
    static final List<String> NAMES = List.of("sendmail", "mailq", "postqueue", "postconf", "postmap");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "directory for the links, e.g. /usr/local/sbin or ~/bin")
    Path dir;

    @Option(names = "--launcher", paramLabel = "PATH",
            description = "the launcher to link to (default: the bin/postern this command runs from)")
    Path launcher;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path target = launcher != null ? launcher : launcherFromEnvironment();
        if (!Files.isExecutable(target)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "launcher " + target + " is not an executable file");
        }
        target = target.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new CommandLine.ParameterException(spec.commandLine(), dir + " is not a directory: create it first");
        }
        int refused = 0;
        for (String name : NAMES) {
            Path link = dir.resolve(name);
            if (Files.isSymbolicLink(link)) {
                Path old = Files.readSymbolicLink(link);
                if (old.equals(target)) {
                    out.println(link + ": already links to " + target);
                    continue;
                }
                if (old.getFileName() != null && old.getFileName().toString().equals("postern")) {
                    Files.delete(link);
                    Files.createSymbolicLink(link, target);
                    out.println(link + ": updated, was a link to " + old + ", now links to " + target);
                    continue;
                }
            }
            if (Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
                err.println("postern: " + link + " exists and is not a link to postern: left alone");
                refused++;
                continue;
            }
            Files.createSymbolicLink(link, target);
            out.println(link + ": created, links to " + target);
        }
        return refused == 0 ? 0 : 1;
    }

    /** bin/postern exports its own resolved path; without it the user must say where it is. */
    private Path launcherFromEnvironment() {
        String env = System.getenv("POSTERN_LAUNCHER");
        if (env == null || env.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "cannot tell where the postern launcher is: run this through bin/postern or pass --launcher PATH");
        }
        return Path.of(env);
    }
}
