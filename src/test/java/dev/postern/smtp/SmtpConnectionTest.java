package dev.postern.smtp;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.junit.jupiter.api.Assertions.assertTrue;

class SmtpConnectionTest {
    /**
     * The client's cure for a next hop that leaves Nagle on after STARTTLS (Postfix: a ~40 ms stall
     * on the EHLO reply, measured by bench/relay-to-postfix.sh) needs TCP_QUICKACK from jdk.net; a
     * JDK or platform without it would turn the cure off without a word, so on Linux it must be there.
     */
    @Test
    @EnabledOnOs(OS.LINUX)
    void quickAckIsAvailableOnLinux() {
        assertTrue(SmtpConnection.quickAckSupported(), "jdk.net.ExtendedSocketOptions.TCP_QUICKACK is not supported by this JDK's sockets");
    }
}
