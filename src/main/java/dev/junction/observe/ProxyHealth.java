package dev.junction.observe;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * kube-proxy's health semantics: healthy unless an update has stayed queued and unapplied longer than the
 * limit (2 × syncPeriod in kube-proxy). {@code /healthz} also fails while the node is being deleted or
 * drained, and once shutdown has begun (so load balancers stop sending first); {@code /livez} looks only at
 * the queue. The clock is injected. Thread-safe.
 */
public final class ProxyHealth implements SyncHealth {

    private static final long NONE = Long.MIN_VALUE;

    private final Clock clock;
    private final Duration limit;
    private final AtomicLong oldestQueuedMillis = new AtomicLong(NONE);
    private volatile long lastUpdatedMillis = NONE;
    private volatile boolean nodeEligible = true;
    private volatile boolean stopping;

    public ProxyHealth(Clock clock, Duration limit) {
        this.clock = Objects.requireNonNull(clock, "clock");
        if (limit.isNegative() || limit.isZero()) {
            throw new IllegalArgumentException("health limit must be positive, got " + limit);
        }
        this.limit = limit;
    }

    /** The outcome of one check and the times kube-proxy reports with it. */
    public record Status(boolean healthy, Instant lastUpdated, Instant currentTime, boolean nodeEligible) {

        /** kube-proxy's body: {@code {"lastUpdated": ..., "currentTime": ...}} (plus {@code nodeEligible}). */
        public String json() {
            return new Json().object()
                    .field("lastUpdated", lastUpdated == null ? "" : lastUpdated.toString())
                    .field("currentTime", currentTime.toString())
                    .field("nodeEligible", nodeEligible)
                    .end().toString();
        }
    }

    @Override
    public void queued() {
        oldestQueuedMillis.compareAndSet(NONE, clock.millis());
    }

    @Override
    public void applied() {
        lastUpdatedMillis = clock.millis();
        oldestQueuedMillis.set(NONE);
    }

    @Override
    public void nodeEligible(boolean eligible) {
        nodeEligible = eligible;
    }

    /** Shutdown has begun: {@code /healthz} fails from now on, {@code /livez} does not. */
    public void stopping() {
        stopping = true;
    }

    /** The readiness answer: queue, node and shutdown. */
    public Status healthz() {
        return status(true);
    }

    /** The liveness answer: the queue only. */
    public Status livez() {
        return status(false);
    }

    /** Epoch millis of the last applied batch, or empty before the first; for the last-sync metric. */
    public double lastUpdatedSeconds() {
        long last = lastUpdatedMillis;
        return last == NONE ? 0 : last / 1000.0;
    }

    private Status status(boolean readiness) {
        long now = clock.millis();
        long oldest = oldestQueuedMillis.get();
        boolean synced = oldest == NONE || now - oldest < limit.toMillis();
        boolean eligible = nodeEligible;
        boolean healthy = synced && (!readiness || (eligible && !stopping));
        long last = lastUpdatedMillis;
        return new Status(healthy, last == NONE ? null : Instant.ofEpochMilli(last), Instant.ofEpochMilli(now),
                eligible);
    }
}
