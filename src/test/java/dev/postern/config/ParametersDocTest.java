package dev.postern.config;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** docs/parameters.md is generated from {@link Params}; this keeps them equal. */
class ParametersDocTest {
    @Test
    void docsListEveryParameterWithItsDefault() throws Exception {
        Path doc = Path.of("docs/parameters.md");
        String expected = Params.markdown();
        if (Boolean.getBoolean("postern.updateDocs")) {
            Files.writeString(doc, expected, StandardCharsets.UTF_8);
        }
        assertEquals(expected, Files.readString(doc, StandardCharsets.UTF_8),
                "docs/parameters.md is out of date: run mvn -q test -Dtest=ParametersDocTest -Dpostern.updateDocs=true");
    }
}
