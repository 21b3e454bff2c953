package dev.junction.source.kube;

import java.time.Duration;
import java.util.Objects;

/**
 * Timing of the list/watch loops.
 *
 * @param quietLimit  a watch that has delivered nothing (no event, no bookmark) for this long is
 *                    restarted from its last resourceVersion: a half-dead connection can hang a
 *                    read forever, since watches run with read timeout 0
 * @param minBackoff  first retry delay after a failed list or watch; doubles per failure
 * @param maxBackoff  cap of the retry delay
 * @param listTimeout a list (one page) that takes longer fails and is retried
 */
public record WatchSettings(Duration quietLimit, Duration minBackoff, Duration maxBackoff, Duration listTimeout) {

    public WatchSettings {
        positive("quietLimit", quietLimit);
        positive("minBackoff", minBackoff);
        positive("maxBackoff", maxBackoff);
        positive("listTimeout", listTimeout);
        if (maxBackoff.compareTo(minBackoff) < 0) {
            throw new IllegalArgumentException("maxBackoff " + maxBackoff + " is below minBackoff " + minBackoff);
        }
    }

    /** API servers send a bookmark about once a minute, so five quiet minutes mean a dead watch. */
    public static WatchSettings defaults() {
        return new WatchSettings(Duration.ofMinutes(5), Duration.ofMillis(200), Duration.ofSeconds(30),
                Duration.ofSeconds(60));
    }

    public WatchSettings withQuietLimit(Duration limit) {
        return new WatchSettings(limit, minBackoff, maxBackoff, listTimeout);
    }

    private static void positive(String name, Duration value) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }
}
