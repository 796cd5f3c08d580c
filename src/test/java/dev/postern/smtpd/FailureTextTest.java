package dev.postern.smtpd;

import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLHandshakeException;
import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The phrases after "lost connection after X from host[addr]: ": the system's words, no Java or Netty internals. */
class FailureTextTest {
    @Test
    void nativeTransportErrorsKeepOnlyTheSystemsWords() {
        // The message of Netty's epoll NativeIoException when a client resets the connection (seen
        // in the mail log under bench/exhaustion.sh's idle clients).
        assertEquals("Connection reset by peer",
                FailureText.of(new IOException("recvAddress(..) failed with error(-104): Connection reset by peer")));
        assertEquals("Connection reset by peer", FailureText.of(new IOException("readAddress(..) failed: Connection reset by peer")));
    }

    @Test
    void javaClassNamesNeverAppear() {
        assertEquals("not a TLS record (plaintext in a TLS session)",
                FailureText.of(new DecoderException(new NotSslRecordException("not an SSL/TLS record: 4141"))));
        assertEquals("TLS protocol error: Empty client certificate chain", FailureText.of(
                new SSLHandshakeException("javax.net.ssl.SSLHandshakeException: Empty client certificate chain")));
        assertEquals("Broken pipe", FailureText.of(new IOException("java.io.IOException: Broken pipe")));
    }
}
