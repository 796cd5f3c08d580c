package dev.postern.tls;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cipher exclusions as Postfix hands them to OpenSSL: names, name parts, OpenSSL's aliases and
 * {@code a+b} conjunctions; a word that names nothing is refused rather than excluding nothing.
 */
class CipherGradesTest {
    private static final String ECDHE_RSA_CBC_SHA1 = "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA";
    private static final String ECDHE_RSA_GCM = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";
    private static final String ECDHE_ECDSA_CHACHA = "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256";
    private static final String RSA_KX_CBC_SHA1 = "TLS_RSA_WITH_AES_128_CBC_SHA"; // OpenSSL: AES128-SHA
    private static final String DHE_RSA_GCM = "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384";
    private static final String RSA_3DES = "TLS_RSA_WITH_3DES_EDE_CBC_SHA";

    @Test
    void opensslAliasesNameWhatOpensslMeansByThem() {
        assertTrue(CipherGrades.excluded(ECDHE_RSA_CBC_SHA1, List.of("SHA1")), "SHA1 is the SHA-1 MAC");
        assertFalse(CipherGrades.excluded(ECDHE_RSA_GCM, List.of("SHA1")), "an AEAD suite has no SHA-1 MAC");
        assertTrue(CipherGrades.excluded(RSA_KX_CBC_SHA1, List.of("kRSA")));
        assertFalse(CipherGrades.excluded(ECDHE_RSA_GCM, List.of("kRSA")), "RSA authentication is not RSA key exchange");
        assertTrue(CipherGrades.excluded(ECDHE_RSA_GCM, List.of("aRSA")));
        assertTrue(CipherGrades.excluded(RSA_KX_CBC_SHA1, List.of("RSA")), "RSA: key exchange or authentication");
        assertTrue(CipherGrades.excluded(ECDHE_RSA_GCM, List.of("RSA")));
        assertFalse(CipherGrades.excluded(ECDHE_ECDSA_CHACHA, List.of("RSA")));
        assertTrue(CipherGrades.excluded(ECDHE_ECDSA_CHACHA, List.of("aecdsa")), "any case");
        assertTrue(CipherGrades.excluded(RSA_3DES, List.of("3DES")));
        assertTrue(CipherGrades.excluded(RSA_3DES, List.of("MEDIUM")));
        assertFalse(CipherGrades.excluded(ECDHE_RSA_GCM, List.of("MEDIUM")));
        assertTrue(CipherGrades.excluded(ECDHE_RSA_GCM, List.of("AESGCM")));
        assertTrue(CipherGrades.excluded(ECDHE_RSA_GCM, List.of("kEECDH")));
        assertTrue(CipherGrades.excluded(ECDHE_RSA_GCM, List.of("ECDHE-RSA-AES128-GCM-SHA256")), "the OpenSSL name");
        assertTrue(CipherGrades.excluded(ECDHE_RSA_GCM, List.of(ECDHE_RSA_GCM)), "the IANA name");
        assertTrue(CipherGrades.excluded(ECDHE_ECDSA_CHACHA, List.of("CHACHA20")), "a part of the OpenSSL name");
    }

    @Test
    void aPlusJoinedWordNamesTheSuitesThatAreAll() {
        assertTrue(CipherGrades.excluded(DHE_RSA_GCM, List.of("kEDH+aRSA")));
        assertFalse(CipherGrades.excluded(ECDHE_RSA_GCM, List.of("kEDH+aRSA")), "ECDHE is not kEDH");
        assertTrue(CipherGrades.excluded(ECDHE_RSA_CBC_SHA1, List.of("kEECDH+SHA1")));
        assertFalse(CipherGrades.excluded(ECDHE_RSA_GCM, List.of("kEECDH+SHA1")));
    }

    @Test
    void tls13SuitesAreExcludedOnlyByName() {
        // OpenSSL configures TLS 1.3 suites apart from the cipher list Postfix's exclusions edit.
        assertFalse(CipherGrades.excluded("TLS_CHACHA20_POLY1305_SHA256", List.of("CHACHA20")));
        assertFalse(CipherGrades.excluded("TLS_AES_128_GCM_SHA256", List.of("AESGCM")));
        assertTrue(CipherGrades.excluded("TLS_AES_128_GCM_SHA256", List.of("TLS_AES_128_GCM_SHA256")));
    }

    @Test
    void theSeedsKindOfExclusionListLeavesNoSha1Suite() {
        List<String> suites = CipherGrades.suites("medium", List.of("aNULL", "MD5", "SHA1", "RC4", "3DES"), true);
        assertTrue(suites.stream().noneMatch(s -> s.endsWith("_SHA") || s.contains("3DES")), suites.toString());
        assertTrue(suites.contains(ECDHE_RSA_GCM), suites.toString());
    }

    @Test
    void aWordThatNamesNothingIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CipherGrades.suites("medium", List.of("aNULL", "SHA-1"), true));
        assertTrue(e.getMessage().contains("\"SHA-1\" in the cipher exclusions names no cipher"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CipherGrades.checkExclusions(List.of("kEDH+aRSX"), true));
        // Aliases for what this library never offers are no mistake: they exclude nothing.
        CipherGrades.checkExclusions(List.of("aNULL", "eNULL", "RC4", "EXPORT", "kEDH+aRSA", "IDEA", "CAMELLIA"), true);
        CipherGrades.checkExclusions(List.of("aNULL", "kEDH+aRSA"), false);
    }
}
