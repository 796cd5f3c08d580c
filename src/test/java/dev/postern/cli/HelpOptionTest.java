package dev.postern.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --help} works on every command and subcommand: usage on stdout, exit 0, nothing executed. */
class HelpOptionTest {
    private static void collect(CommandLine cl, List<String> path, Set<List<String>> all) {
        for (var e : cl.getSubcommands().entrySet()) {
            if (!e.getKey().equals(e.getValue().getCommandName())) {
                continue; // an alias: tested under its name
            }
            List<String> p = new ArrayList<>(path);
            p.add(e.getKey());
            all.add(p);
            collect(e.getValue(), p, all);
        }
    }

    @Test
    void everyVerbAndSubcommandHasHelp() {
        Set<List<String>> verbs = new LinkedHashSet<>();
        collect(Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter())), List.of(), verbs);
        assertTrue(verbs.contains(List.of("ca", "init")) && verbs.contains(List.of("test")), verbs.toString());
        for (List<String> verb : verbs) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            List<String> args = new ArrayList<>(verb);
            args.add("--help");
            int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
            assertEquals(0, code, verb + ": " + out + err);
            assertTrue(out.toString().contains("Usage: postern " + String.join(" ", verb)), verb + ": " + out + err);
            assertTrue(out.toString().contains("-h"), verb + ": " + out);
        }
    }

    /** Each command with a Postfix counterpart says which, so a Postfix user finds it from the help. */
    @Test
    void helpNamesThePostfixCounterpart() {
        java.util.Map<String, String> counterpart = new java.util.LinkedHashMap<>();
        counterpart.put("start", "postfix start");
        counterpart.put("start-fg", "postfix start-fg");
        counterpart.put("stop", "postfix stop");
        counterpart.put("status", "postfix status");
        counterpart.put("reload", "postfix reload");
        counterpart.put("check", "postfix check");
        counterpart.put("conf", "postconf");
        counterpart.put("map", "postmap");
        counterpart.put("queue", "postqueue");
        counterpart.put("queue show", "postcat");
        counterpart.put("queue delete", "postsuper -d");
        counterpart.put("sendmail", "sendmail");
        counterpart.put("sink", "smtp-sink");
        counterpart.put("bench", "smtp-source");
        counterpart.put("ca", "TinyCA2");
        counterpart.put("test", "openssl s_client");
        counterpart.put("demo", "sender_dependent_relayhost_maps");
        counterpart.put("log", "postfix logrotate");
        counterpart.put("log rotate", "postfix logrotate");
        counterpart.forEach((verb, word) -> {
            StringWriter out = new StringWriter();
            List<String> args = new ArrayList<>(List.of(verb.split(" ")));
            args.add("--help");
            assertEquals(0, Main.run(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true), args.toArray(String[]::new)));
            assertTrue(out.toString().replaceAll("\\s+", " ").contains(word), verb + " --help should name " + word + ":\n" + out);
        });
    }

    @Test
    void caWithoutSubcommandSaysWhichExist() {
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "ca");
        assertEquals(2, code, err.toString());
        assertTrue(err.toString().contains("missing subcommand"), err.toString());
    }
}
