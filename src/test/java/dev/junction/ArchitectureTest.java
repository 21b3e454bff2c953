package dev.junction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The dependency directions of DESIGN.md, checked over the source tree's imports. */
class ArchitectureTest {

    private static final Path MAIN = Path.of("src/main/java/dev/junction");
    private static final Pattern IMPORT = Pattern.compile("^import\\s+(?:static\\s+)?([\\w.]+)", Pattern.MULTILINE);

    @ParameterizedTest(name = "{0} must not import {1}")
    @CsvSource({
        "dataplane, io.kubernetes",
        "lb,        io.kubernetes",
        "model,     io.kubernetes",
        "model,     dev.junction.",
        "lb,        dev.junction.dataplane",
        "lb,        dev.junction.control",
        "dataplane, dev.junction.control",
        "dataplane, dev.junction.source",
        "source,    dev.junction.control",
        "source,    dev.junction.dataplane",
        "capture,   dev.junction.control",
        "capture,   dev.junction.dataplane",
        "observe,   io.kubernetes",
        "observe,   dev.junction.lb",
        "observe,   dev.junction.control",
        "observe,   dev.junction.dataplane",
        "observe,   dev.junction.source",
        "observe,   dev.junction.config",
        "observe,   dev.junction.capture",
        "demo,      dev.junction.Main",
        "handover,  io.kubernetes",
        "handover,  dev.junction.control",
        "handover,  dev.junction.dataplane",
        "handover,  dev.junction.source",
        "handover,  dev.junction.config",
    })
    void packageDoesNotImport(String pkg, String forbidden) throws IOException {
        assertEquals(List.of(), imports(pkg, imported -> imported.startsWith(forbidden)));
    }

    @Test
    void configImportsOnlyModel() throws IOException {
        assertEquals(List.of(), imports("config", imported -> imported.startsWith("dev.junction.")
                && !imported.startsWith("dev.junction.model.")));
    }

    /** The imports of {@code pkg}'s sources, its own excepted, that {@code violates}, as "File imports name". */
    private static List<String> imports(String pkg, Predicate<String> violates) throws IOException {
        Path dir = MAIN.resolve(pkg.replace('.', '/'));
        assertTrue(Files.isDirectory(dir), dir + " exists");
        String own = "dev.junction." + pkg + ".";
        List<String> violations = new ArrayList<>();
        int files = 0;
        try (Stream<Path> sources = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) sources.filter(f -> f.toString().endsWith(".java"))::iterator) {
                files++;
                Matcher m = IMPORT.matcher(Files.readString(p));
                while (m.find()) {
                    String imported = m.group(1);
                    if (violates.test(imported) && !imported.startsWith(own)) {
                        violations.add(MAIN.relativize(p) + " imports " + imported);
                    }
                }
            }
        }
        assertTrue(files > 0, "no sources under " + dir);
        return violations;
    }
}
