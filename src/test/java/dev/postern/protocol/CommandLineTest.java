package dev.postern.protocol;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CommandLineTest {

    @Test
    void verbAndArgumentSplitAtASpaceOrATab() {
        assertEquals(new CommandLine("EHLO", Verb.EHLO, "client.example"), CommandLine.parse("EHLO client.example"));
        assertEquals(new CommandLine("ehlo", Verb.EHLO, "client.example"), CommandLine.parse("ehlo\t client.example "));
        assertEquals(new CommandLine("QUIT", Verb.QUIT, ""), CommandLine.parse("  QUIT"));
        assertEquals(new CommandLine("", Verb.of(""), ""), CommandLine.parse(""));
    }
}
