package dev.postern.smtp;

import dev.postern.maps.LookupException;
import dev.postern.maps.LookupTable;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The TLS level for one next hop: smtp_tls_policy_maps looked up with the next hop verbatim
 * ({@code [mail.example.com]:587} is its own key), then for bare domains the parent {@code .domain}
 * forms; otherwise smtp_tls_security_level. Values: a level and optional {@code match=a:b}.
 */
record TlsPolicy(String level, List<String> match) {
    static TlsPolicy lookup(List<LookupTable> maps, NextHop hop, String defaultLevel) throws LookupException {
        for (String key : keys(hop)) {
            for (LookupTable t : maps) {
                Optional<String> v = t.lookup(key);
                if (v.isPresent()) {
                    return parse(v.get());
                }
            }
        }
        return new TlsPolicy(defaultLevel.toLowerCase(Locale.ROOT), List.of());
    }

    private static List<String> keys(NextHop hop) {
        List<String> keys = new ArrayList<>();
        keys.add(hop.text());
        if (!hop.text().startsWith("[") && hop.text().indexOf(':') < 0) {
            String d = hop.host();
            int dot;
            while ((dot = d.indexOf('.')) >= 0) {
                d = d.substring(dot + 1);
                keys.add("." + d);
                if (d.indexOf('.') < 0) {
                    break;
                }
            }
        }
        return keys;
    }

    static TlsPolicy parse(String value) {
        String[] words = value.trim().split("\\s+");
        List<String> match = new ArrayList<>();
        for (int i = 1; i < words.length; i++) {
            if (words[i].startsWith("match=")) {
                for (String m : words[i].substring(6).split(":")) {
                    if (!m.isEmpty()) {
                        match.add(m);
                    }
                }
            }
        }
        return new TlsPolicy(words[0].toLowerCase(Locale.ROOT), List.copyOf(match));
    }

    boolean usesTls() {
        return !level.equals("none");
    }

    boolean mandatory() {
        return !level.equals("none") && !level.equals("may");
    }

    boolean verifiesCertificate() {
        return level.equals("verify") || level.equals("secure");
    }
}
