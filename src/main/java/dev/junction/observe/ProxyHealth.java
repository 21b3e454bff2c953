package dev.junction.observe;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * kube-proxy's health semantics (its {@code ProxyHealthServer}): healthy unless an update has stayed queued
 * and unapplied longer than the limit (2 × syncPeriod in kube-proxy). The first full sync counts as an update
 * queued at construction, so a proxy that never syncs (an API server it cannot reach) turns unhealthy once
 * the limit has passed since start. {@code /healthz} also fails while this node may not serve: before its
 * Node object has been seen (when one is awaited, as kube-proxy's {@code NodeEligible} is false while it has no
 * Node), while it is being deleted or drained, once a source has been stalled (its credentials refused) for
 * longer than the limit, and once shutdown has begun (so load balancers stop sending first). {@code /livez}
 * looks only at the queue: a restart would drop every Service's connections on this node and fix none of
 * those. The clock is injected. Thread-safe.
 */
public final class ProxyHealth implements SyncHealth {

    private static final long NONE = Long.MIN_VALUE;
    /** What Go's encoding/json writes for a zero {@code time.Time}: kube-proxy's "never updated". */
    static final Instant NEVER = Instant.parse("0001-01-01T00:00:00Z");

    private final Clock clock;
    private final Duration limit;
    private final AtomicLong oldestQueuedMillis;
    private volatile long lastUpdatedMillis = NONE;
    private volatile boolean nodeEligible;
    private volatile boolean stopping;
    private final AtomicLong stalledSinceMillis = new AtomicLong(NONE);

    /** Health with no Node object to wait for (manifests): the node may serve until told otherwise. */
    public ProxyHealth(Clock clock, Duration limit) {
        this(clock, limit, false);
    }

    /**
     * Health whose {@code /healthz} fails until {@link #nodeEligible} first reports this node, when
     * {@code awaitNode}: a proxy that cannot read its Node must not pass readiness.
     */
    public ProxyHealth(Clock clock, Duration limit, boolean awaitNode) {
        this.clock = Objects.requireNonNull(clock, "clock");
        if (limit.isNegative() || limit.isZero()) {
            throw new IllegalArgumentException("health limit must be positive, got " + limit);
        }
        this.limit = limit;
        this.nodeEligible = !awaitNode;
        // The first full sync is pending from the start: nothing is applied before it.
        this.oldestQueuedMillis = new AtomicLong(clock.millis());
    }

    /**
     * The outcome of one check and what kube-proxy reports with it; {@code nodeEligible} is null for
     * {@code /livez}, whose body leaves it out as kube-proxy's does.
     */
    public record Status(boolean healthy, Instant lastUpdated, Instant currentTime, Boolean nodeEligible) {

        /**
         * kube-proxy's body: {@code {"lastUpdated": ..., "currentTime": ..., "nodeEligible": ..., "healthy": ...}};
         * {@code lastUpdated} is the current time while healthy (kube-proxy keeps that for older clients), else
         * the last applied batch, or year 1 when there was none.
         */
        public String json() {
            Json json = new Json().object()
                    .field("lastUpdated", lastUpdated.toString())
                    .field("currentTime", currentTime.toString());
            if (nodeEligible != null) {
                json.field("nodeEligible", nodeEligible);
            }
            return json.field("healthy", healthy).end().toString();
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

    @Override
    public void sourceStalled(boolean stalled) {
        if (stalled) {
            stalledSinceMillis.compareAndSet(NONE, clock.millis());
        } else {
            stalledSinceMillis.set(NONE);
        }
    }

    /** Shutdown has begun: {@code /healthz} fails from now on, {@code /livez} does not. */
    public void stopping() {
        stopping = true;
    }

    /** The readiness answer: queue, node, a stalled source and shutdown. */
    public Status healthz() {
        long now = clock.millis();
        boolean eligible = nodeEligible;
        long stalledSince = stalledSinceMillis.get();
        boolean following = stalledSince == NONE || now - stalledSince < limit.toMillis();
        return status(now, synced(now) && following && eligible && !stopping, eligible);
    }

    /**
     * Whether this process is ready to be the node's proxy: {@code /healthz} passes and a first sync has been
     * applied. Stricter than {@code /healthz}, which passes before the first sync as kube-proxy's does (a
     * pending update has until the limit): readiness gates a rollout, which must wait for the sync.
     */
    public boolean ready() {
        return lastUpdatedMillis != NONE && healthz().healthy();
    }

    /** The liveness answer: the queue only. */
    public Status livez() {
        long now = clock.millis();
        return status(now, synced(now), null);
    }

    /** Epoch seconds of the last applied batch, or 0 before the first; for the last-sync metric. */
    public double lastUpdatedSeconds() {
        long last = lastUpdatedMillis;
        return last == NONE ? 0 : last / 1000.0;
    }

    private boolean synced(long now) {
        long oldest = oldestQueuedMillis.get();
        return oldest == NONE || now - oldest < limit.toMillis();
    }

    private Status status(long now, boolean healthy, Boolean nodeEligible) {
        Instant current = Instant.ofEpochMilli(now);
        long last = lastUpdatedMillis;
        Instant lastUpdated = healthy ? current : last == NONE ? NEVER : Instant.ofEpochMilli(last);
        return new Status(healthy, lastUpdated, current, nodeEligible);
    }
}
