package dev.junction.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.testing.Conditions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ready file follows the process's readiness, and a restarted container's stale file never counts. */
class ReadyFileTest {

    private static final Duration WITHIN = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @Test
    void presentExactlyWhileReadyAndGoneOnClose() throws IOException {
        Path path = dir.resolve("pod/ready");
        AtomicBoolean ready = new AtomicBoolean();
        try (ReadyFile file = ReadyFile.start(path, ready::get)) {
            ready.set(true);
            Conditions.await("written once ready", WITHIN, () -> Files.exists(path));
            assertEquals("pid " + ProcessHandle.current().pid() + "\n", Files.readString(path));
            ready.set(false);
            Conditions.await("removed once not ready", WITHIN, () -> !Files.exists(path));
            ready.set(true);
            Conditions.await("written again", WITHIN, () -> Files.exists(path));
        }
        assertFalse(Files.exists(path), "a closed process is not ready");
    }

    @Test
    void aStaleFileFromAPreviousProcessIsRemovedAtStart() throws IOException {
        Path path = dir.resolve("ready");
        Files.writeString(path, "pid 1\n");
        try (ReadyFile file = ReadyFile.start(path, () -> false)) {
            assertFalse(Files.exists(path), "removed before the first check: the old process's readiness is not ours");
        }
    }

    @Test
    void aPathThatCannotBeMadeFailsTheStartNamingIt() throws IOException {
        Path notADirectory = Files.writeString(dir.resolve("file"), "");
        IOException e = assertThrows(IOException.class, () -> ReadyFile.start(notADirectory.resolve("ready"), () -> true));
        assertTrue(e.getMessage().startsWith("ready file " + notADirectory.resolve("ready")), e.getMessage());
    }
}
