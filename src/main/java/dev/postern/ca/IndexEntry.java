package dev.postern.ca;

import java.math.BigInteger;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * One line of the CA's index.txt, in OpenSSL's {@code ca} format so {@code openssl ca} and people
 * who know it can read it: {@code V|R <TAB> notAfter <TAB> revoked[,reason] <TAB> SERIAL <TAB> unknown <TAB> /CN=subject}.
 * Times are {@code YYMMDDHHMMSSZ} (UTCTime), serials upper-case hex.
 */
public record IndexEntry(boolean revoked, Instant notAfter, Instant revokedAt, String reason, BigInteger serial, String subject) {
    private static final DateTimeFormatter UTC_TIME = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);

    public String serialHex() {
        return hex(serial);
    }

    /** Upper-case hex of even length, as OpenSSL writes serials (index.txt, openssl x509 -serial). */
    public static String hex(BigInteger serial) {
        String h = serial.toString(16).toUpperCase(java.util.Locale.ROOT);
        return h.length() % 2 == 0 ? h : "0" + h;
    }

    /** valid, revoked or expired. */
    public String status(Instant now) {
        return revoked ? "revoked" : notAfter.isBefore(now) ? "expired" : "valid";
    }

    String line() {
        String rev = revoked ? UTC_TIME.format(revokedAt) + (reason.isEmpty() ? "" : "," + reason) : "";
        return (revoked ? "R" : "V") + "\t" + UTC_TIME.format(notAfter) + "\t" + rev + "\t" + serialHex() + "\tunknown\t" + subject;
    }

    static IndexEntry parse(String line) {
        String[] f = line.split("\t", -1);
        if (f.length < 6) {
            throw new IllegalArgumentException("not an index.txt line: " + line);
        }
        boolean revoked = f[0].equals("R");
        Instant revokedAt = null;
        String reason = "";
        if (revoked) {
            String[] r = f[2].split(",", 2);
            revokedAt = parseTime(r[0]);
            reason = r.length > 1 ? r[1] : "";
        }
        return new IndexEntry(revoked, parseTime(f[1]), revokedAt, reason, new BigInteger(f[3], 16), f[5]);
    }

    private static Instant parseTime(String t) {
        return java.time.LocalDateTime.parse("20" + t.substring(0, 12), DateTimeFormatter.ofPattern("yyyyMMddHHmmss"))
                .toInstant(ZoneOffset.UTC);
    }

    IndexEntry revoke(Instant at, String why) {
        return new IndexEntry(true, notAfter, at, why, serial, subject);
    }
}
