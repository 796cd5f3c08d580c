package dev.postern.config;

import dev.postern.util.AtomicFile;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code postconf -e name=value ...} (postconf_edit.c): each logical line that sets an edited name
 * (with its continuation lines) becomes {@code name = value}; names not found are appended, sorted.
 * Comments, blank lines and every other line stay byte for byte. The new file replaces the old one
 * atomically (temp file beside it, fsync, rename, fsync directory) with the old file's permissions,
 * so a crash or a concurrent reader sees the old or the new main.cf, never half of one; concurrent
 * edits are serialized by a lock file ({@value #LOCK_FILE}) so none is lost.
 *
 * <p>Better than postconf: a value that is wrong for its parameter's type or outside its bounds is
 * refused before anything is written (a value with $name is checked when the file is loaded).
 */
public final class MainCfEditor {
    /**
     * Held while main.cf is read, edited and replaced. Never renamed or removed (main.cf itself is
     * replaced, so it cannot carry the lock), like /etc/.pwd.lock for the shadow tools.
     */
    static final String LOCK_FILE = ".main.cf.lock";

    private MainCfEditor() {}

    /**
     * Applies the assignments ({@code name=value}, blanks around '=' allowed) to main.cf in
     * {@code configDirectory}; returns warnings (unknown names, repeated entries).
     */
    public static List<String> edit(Path configDirectory, List<String> assignments) throws ConfigException, IOException {
        Path mainCf = configDirectory.resolve("main.cf");
        if (!Files.isRegularFile(mainCf)) {
            throw new ConfigException(mainCf.toString(), 0, "file not found", "create main.cf (it may be empty)");
        }
        List<String> warnings = new ArrayList<>();
        Map<String, String> edits = parse(assignments, warnings);
        // Read-modify-write under a lock, so two concurrent edits cannot lose one another: the JVM
        // monitor for threads of this process (a file lock is per JVM), the file lock for processes.
        synchronized (MainCfEditor.class) {
            try (FileChannel lockFile = FileChannel.open(configDirectory.resolve(LOCK_FILE), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock ignored = lockFile.lock()) {
                String old = Files.readString(mainCf, StandardCharsets.UTF_8);
                String updated = apply(old, edits, warnings);
                if (!updated.equals(old)) {
                    replace(mainCf, updated.getBytes(StandardCharsets.UTF_8));
                }
            }
        }
        return warnings;
    }

    private static Map<String, String> parse(List<String> assignments, List<String> warnings) throws ConfigException {
        if (assignments.isEmpty()) {
            throw new ConfigException(null, 0, "-e needs at least one name=value", "e.g. postern conf -e 'relayhost = [smtp.example]:587'");
        }
        Map<String, String> edits = new LinkedHashMap<>();
        for (String a : assignments) {
            int eq = a.indexOf('=');
            String name = eq < 0 ? a.strip() : a.substring(0, eq).strip();
            if (eq <= 0 || !name.matches("[A-Za-z0-9_]+") || a.indexOf('\n') >= 0) {
                throw new ConfigException(null, 0, "bad assignment \"" + a + "\"", "write name=value on one line");
            }
            String value = a.substring(eq + 1).strip();
            Param p = Params.get(name);
            if (p == null) {
                String near = Suggest.closest(name, Params.all().keySet());
                warnings.add("unknown parameter \"" + name + "\"" + (near == null ? "" : "; did you mean \"" + near + "\"?"));
            } else if (value.indexOf('$') < 0) {
                Values.Problem problem = Values.check(p, value);
                if (problem != null) {
                    throw new ConfigException(null, 0, problem.problem(), problem.fix() + "; main.cf is unchanged");
                }
                String unused = ConfigChecks.unhonoured(p, value);
                if (unused != null) {
                    warnings.add(unused);
                }
            }
            String earlier = edits.put(name, value);
            if (earlier != null && !earlier.equals(value)) {
                warnings.add("ignoring earlier request: '" + name + " = " + earlier + "'");
            }
        }
        return edits;
    }

    /** The edited text; package-private for tests. */
    static String apply(String text, Map<String, String> edits, List<String> warnings) {
        StringBuilder out = new StringBuilder(text.length() + 64);
        Map<String, Integer> found = new TreeMap<>();
        boolean replacing = false;
        int i = 0;
        while (i < text.length()) {
            int nl = text.indexOf('\n', i);
            int end = nl < 0 ? text.length() : nl + 1;
            String line = text.substring(i, end);
            i = end;
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                out.append(line);
            } else if (Character.isWhitespace(line.charAt(0))) {
                if (!replacing) {
                    out.append(line);
                }
            } else {
                String key = trimmed.split("[\\s=]", 2)[0];
                replacing = edits.containsKey(key);
                if (replacing) {
                    if (found.merge(key, 1, Integer::sum) == 2) {
                        warnings.add("main.cf: multiple entries for \"" + key + "\"");
                    }
                    out.append(key).append(" = ").append(edits.get(key)).append('\n');
                } else {
                    out.append(line);
                }
            }
        }
        for (Map.Entry<String, String> e : new TreeMap<>(edits).entrySet()) {
            if (!found.containsKey(e.getKey())) {
                if (out.length() > 0 && out.charAt(out.length() - 1) != '\n') {
                    out.append('\n');
                }
                out.append(e.getKey()).append(" = ").append(e.getValue()).append('\n');
            }
        }
        return out.toString();
    }

    private static void replace(Path mainCf, byte[] data) throws IOException {
        Path dir = mainCf.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, ".main.cf.", ".tmp");
        try {
            if (Files.getFileAttributeView(mainCf, PosixFileAttributeView.class) != null) {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(mainCf);
                Files.setPosixFilePermissions(tmp, perms.isEmpty() ? PosixFilePermissions.fromString("rw-r--r--") : perms);
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(data);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            AtomicFile.moveDurably(tmp, mainCf);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
