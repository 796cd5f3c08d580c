package dev.postern.cli;

import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * {@code postern -V}: the version and the git commit it was built from, from build.properties
 * (filtered by Maven at build time). A build from a copy without .git says "commit unknown";
 * classes run without a Maven build (an IDE) say "development build".
 */
final class Version implements CommandLine.IVersionProvider {
    static final String RESOURCE = "/dev/postern/build.properties";

    @Override
    public String[] getVersion() {
        return new String[] {line()};
    }

    static String line() {
        Properties p = new Properties();
        try (InputStream in = Version.class.getResourceAsStream(RESOURCE)) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // unreadable: treated as missing
        }
        String version = filled(p.getProperty("version"));
        if (version == null) {
            return "postern development build";
        }
        String commit = filled(p.getProperty("commit"));
        String dirty = "true".equals(filled(p.getProperty("dirty"))) ? "-dirty" : "";
        return "postern " + version + " (commit " + (commit == null ? "unknown" : commit + dirty) + ")";
    }

    /** A value Maven did not fill in stays "${...}": that is no value. */
    private static String filled(String v) {
        return v == null || v.isBlank() || v.startsWith("${") ? null : v.trim();
    }
}
