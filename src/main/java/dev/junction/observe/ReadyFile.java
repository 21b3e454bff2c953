package dev.junction.observe;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A file that exists exactly while this process is ready, for an exec readiness probe ({@code test -e}). Two
 * Junctions share a node's ports during a handover, so an HTTP probe of port 10256 is answered by whichever holds
 * that socket: the new pod would look ready (the old process answers) before it has synced, and the old one would
 * be stopped too early. A file in the pod's own directory can only speak for the process that writes it. Checked
 * every {@link #PERIOD} on a thread of its own; {@link #close} from any thread.
 */
public final class ReadyFile implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReadyFile.class);

    /** How stale the file may be: a fifth of a readiness probe's usual period. */
    static final Duration PERIOD = Duration.ofSeconds(1);

    private final Path path;
    private final BooleanSupplier ready;
    private final ScheduledExecutorService timer;
    private final RateLimitedLog failures = new RateLimitedLog(log, Duration.ofMinutes(1));
    /** Whether the file is there; on the timer's thread only. */
    private boolean present;

    private ReadyFile(Path path, BooleanSupplier ready) {
        this.path = path;
        this.ready = ready;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "junction-ready-file");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Removes any file at {@code path} (a container restarted in its pod keeps the pod's directories, and with
     * them the last process's file), then keeps it present while {@code ready} says so.
     *
     * @throws IOException naming the path when it cannot be removed or its directory made
     */
    public static ReadyFile start(Path path, BooleanSupplier ready) throws IOException {
        try {
            Files.deleteIfExists(path);
            Path dir = path.toAbsolutePath().getParent();
            if (dir != null) {
                Files.createDirectories(dir);
            }
        } catch (IOException e) {
            throw new IOException("ready file " + path + ": " + e, e);
        }
        ReadyFile file = new ReadyFile(path, ready);
        file.timer.scheduleWithFixedDelay(file::check, 0, PERIOD.toMillis(), TimeUnit.MILLISECONDS);
        return file;
    }

    private void check() {
        boolean now = ready.getAsBoolean();
        if (now == present) {
            return;
        }
        try {
            if (now) {
                Files.writeString(path, "pid " + ProcessHandle.current().pid() + "\n");
            } else {
                Files.deleteIfExists(path);
            }
            present = now;
            log.info("ready file {}: {}", path, now ? "written, this process is ready" : "removed, not ready");
        } catch (IOException | RuntimeException e) {
            failures.warn("ready file {}: cannot {} it ({}); the readiness probe sees the wrong answer", path,
                    now ? "write" : "remove", e.toString());
        }
    }

    /**
     * Where a process that handed its sockets over and waits for SIGTERM records that, beside {@code readyFile}:
     * in the pod's own directory, which outlives a container restart and dies with the pod, so a container the
     * kubelet restarts in that pod knows a newer Junction took over and must not take the sockets back.
     */
    public static Path handedOverMarker(Path readyFile) {
        return readyFile.resolveSibling(readyFile.getFileName() + ".handed-over");
    }

    /** Stops following and removes the file: a process that stops is not ready. */
    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("ready file {}: cannot remove it ({})", path, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
