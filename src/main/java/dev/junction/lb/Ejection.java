package dev.junction.lb;

import java.time.Duration;

/**
 * Passive outlier ejection: after {@code consecutiveFailures} failed connects an endpoint is skipped for
 * {@code base}, doubling with each further ejection up to {@code max}; one success clears it.
 */
public record Ejection(int consecutiveFailures, Duration base, Duration max) {

    public static final Ejection DEFAULT = new Ejection(2, Duration.ofSeconds(1), Duration.ofSeconds(30));

    public Ejection {
        if (consecutiveFailures < 1) {
            throw new IllegalArgumentException("consecutiveFailures must be >= 1");
        }
        if (base.isNegative() || base.isZero() || max.compareTo(base) < 0) {
            throw new IllegalArgumentException("need 0 < base <= max");
        }
    }

    long durationNanos(int previousEjections) {
        long nanos = base.toNanos() << Math.min(previousEjections, 20);
        return Math.min(nanos, max.toNanos());
    }
}
