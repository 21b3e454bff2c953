package dev.junction.control;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The initial sync's progress, for an operator watching the log converge: the objects listed so far, at most one
 * line per {@link #INTERVAL}, then the totals with the time spent listing and programming. Used only in the
 * control context.
 */
final class SyncProgress {

    static final Duration INTERVAL = Duration.ofSeconds(5);

    private final LongSupplier nanos;
    private final long start;
    private long lastLine;
    private long objects;
    private long listedAt;

    SyncProgress(LongSupplier nanos) {
        this.nanos = nanos;
        this.start = nanos.getAsLong();
        this.lastLine = start;
    }

    /** Objects received before the sources synced; a line when {@link #INTERVAL} has passed since the last. */
    Optional<String> listed(int received, int services) {
        objects += received;
        long now = nanos.getAsLong();
        if (now - lastLine < INTERVAL.toNanos()) {
            return Optional.empty();
        }
        lastLine = now;
        return Optional.of("initial sync: " + objects + " objects listed so far, " + services + " services, "
                + seconds(now - start));
    }

    /** The last objects of the initial sync arrived with the sources' sync: listing is over, programming starts. */
    void synced(int received) {
        objects += received;
        listedAt = nanos.getAsLong();
    }

    /** The line once the synced state is programmed. */
    String programmed(int services, int frontends) {
        return "sources synced: " + services + " services, " + frontends + " frontends listening; " + objects
                + " objects listed in " + seconds(listedAt - start) + ", programmed in "
                + seconds(nanos.getAsLong() - listedAt);
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.1fs", nanos / 1e9);
    }
}
