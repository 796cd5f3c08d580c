package dev.postern.config;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

/**
 * The names Postfix documents (postconf.proto of Postfix 3.12), so that a main.cf setting Postern
 * does not declare is reported for what it is: a Postfix parameter with no effect here, rather than
 * an unknown name with a "did you mean" that points at some other parameter (smtpd_tls_mandatory_ciphers
 * is not a misspelt smtp_tls_mandatory_ciphers). Read only when such a setting appears.
 */
final class PostfixParameterNames {
    private PostfixParameterNames() {}

    private static final class Holder {
        static final Set<String> NAMES = load();
    }

    static boolean contains(String name) {
        return Holder.NAMES.contains(name);
    }

    private static Set<String> load() {
        Set<String> names = new HashSet<>();
        try (InputStream in = PostfixParameterNames.class.getResourceAsStream("postfix-parameters.txt")) {
            if (in == null) {
                throw new IllegalStateException("postfix-parameters.txt is missing from the jar");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            for (String line; (line = r.readLine()) != null; ) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    names.add(line.strip());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Set.copyOf(names);
    }
}
