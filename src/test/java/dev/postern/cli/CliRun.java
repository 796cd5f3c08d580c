package dev.postern.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** One {@code postern} command run in this JVM through {@link Main#run}: its exit status and what it printed. */
record CliRun(int status, String out, String err) {
    static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new CliRun(status, out.toString(), err.toString());
    }
}
