package dev.postern.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * main.cf syntax (postconf(5)): {@code name = value}; a line starting with whitespace continues the
 * previous one; lines whose first non-blank character is '#' and blank lines are ignored. The last
 * setting of a name wins, as in Postfix, with a warning.
 */
final class MainCfParser {
    private MainCfParser() {}

    static Map<String, Setting> parse(Path file, List<String> warnings) throws ConfigException {
        String name = file.getFileName().toString();
        List<String> lines = ConfigLines.read(file, name);
        Map<String, Setting> out = new LinkedHashMap<>();
        List<int[]> starts = new ArrayList<>();
        List<StringBuilder> logical = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            if (Character.isWhitespace(line.charAt(0))) {
                if (logical.isEmpty()) {
                    throw new ConfigException(name, i + 1, "continuation line without a parameter before it",
                            "remove the leading whitespace or join it to a parameter line");
                }
                logical.get(logical.size() - 1).append(' ').append(trimmed);
            } else {
                logical.add(new StringBuilder(trimmed));
                starts.add(new int[] {i + 1});
            }
        }
        for (int k = 0; k < logical.size(); k++) {
            String text = logical.get(k).toString();
            int line = starts.get(k)[0];
            int eq = text.indexOf('=');
            if (eq == 0) {
                throw new ConfigException(name, line, "no parameter name before '='", "write name = value");
            }
            if (eq < 0) {
                throw new ConfigException(name, line, "missing '=' after parameter name \"" + text.split("\\s+")[0] + "\"",
                        "write name = value");
            }
            String key = text.substring(0, eq).strip();
            if (!key.matches("[A-Za-z0-9_]+")) {
                throw new ConfigException(name, line, "bad parameter name \"" + key + "\"",
                        "names use letters, digits and underscores");
            }
            String value = text.substring(eq + 1).strip();
            Setting prev = out.put(key, new Setting(key, value, name, line));
            if (prev != null) {
                warnings.add(name + ":" + line + ": " + key + " is also set at line " + prev.line()
                        + "; the later setting wins");
            }
        }
        return out;
    }
}
