package dev.postern.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The lines of main.cf or master.cf. Postfix reads them as bytes, so an old file with a comment in
 * Latin-1 ("# Übersetzung" saved by an editor of 2005) works there: here such a comment line is
 * read byte for byte (ISO-8859-1), since nothing reads it. A setting that is not UTF-8 is an error
 * at its line: its bytes would reach the wire, a path or a log changed, and nobody would be told.
 */
final class ConfigLines {
    private ConfigLines() {}

    static List<String> read(Path file, String name) throws ConfigException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file.toString(), 0, "cannot read: no such file", "check the file exists and is readable");
        } catch (IOException e) {
            throw new ConfigException(file.toString(), 0, "cannot read: " + e.getMessage(), "check the file exists and is readable");
        }
        List<String> lines = new ArrayList<>();
        int start = 0;
        while (start < bytes.length) {
            int end = start;
            while (end < bytes.length && bytes[end] != '\n') {
                end++;
            }
            int stop = end > start && bytes[end - 1] == '\r' ? end - 1 : end;
            lines.add(decode(Arrays.copyOfRange(bytes, start, stop), name, lines.size() + 1));
            start = end + 1;
        }
        return lines;
    }

    private static String decode(byte[] line, String name, int number) throws ConfigException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(line)).toString();
        } catch (CharacterCodingException e) {
            String latin1 = new String(line, StandardCharsets.ISO_8859_1);
            String trimmed = latin1.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                return latin1;
            }
            throw new ConfigException(name, number, "this line is not UTF-8 text", "save " + name + " as UTF-8");
        }
    }
}
