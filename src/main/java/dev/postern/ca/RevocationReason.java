package dev.postern.ca;

import org.bouncycastle.asn1.x509.CRLReason;

/** RFC 5280 revocation reasons, spelled as {@code openssl ca -crl_reason} spells them. */
enum RevocationReason {
    UNSPECIFIED("unspecified", CRLReason.unspecified),
    KEY_COMPROMISE("keyCompromise", CRLReason.keyCompromise),
    CA_COMPROMISE("CACompromise", CRLReason.cACompromise),
    AFFILIATION_CHANGED("affiliationChanged", CRLReason.affiliationChanged),
    SUPERSEDED("superseded", CRLReason.superseded),
    CESSATION_OF_OPERATION("cessationOfOperation", CRLReason.cessationOfOperation),
    CERTIFICATE_HOLD("certificateHold", CRLReason.certificateHold);

    final String name;
    final int code;

    RevocationReason(String name, int code) {
        this.name = name;
        this.code = code;
    }

    static RevocationReason of(String s) {
        for (RevocationReason r : values()) {
            if (r.name.equalsIgnoreCase(s) || r.name().replace("_", "").equalsIgnoreCase(s.replace("-", "").replace("_", ""))) {
                return r;
            }
        }
        StringBuilder names = new StringBuilder();
        for (RevocationReason r : values()) {
            names.append(names.length() == 0 ? "" : ", ").append(r.name);
        }
        throw new IllegalArgumentException("unknown revocation reason \"" + s + "\": use one of " + names);
    }
}
