package dev.postern.ca;

/** What an issued certificate may be used for (its key usage and extended key usage). */
public enum Profile {
    /** TLS server: digitalSignature + keyEncipherment, EKU serverAuth, DNS subjectAltNames. */
    SERVER,
    /** TLS client (the permission to relay): digitalSignature, EKU clientAuth. */
    CLIENT,
    /** Intermediate or root CA: keyCertSign + cRLSign, basicConstraints CA:TRUE. */
    CA
}
