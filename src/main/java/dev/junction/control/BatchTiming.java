package dev.junction.control;

import io.kubernetes.client.openapi.models.V1EndpointSlice;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * When the changes of one batch went live, for the control plane's latency metrics: the batch's duration,
 * each event's received → live time, and kube-proxy's network programming latency of each EndpointSlice
 * it changed. A Service whose new tables were swapped into bound listeners is live at the swap; one that
 * opened or closed a frontend only once the batch's binds and routes are done. One per batch, used only in
 * the control context.
 */
final class BatchTiming {

    private final long startNanos = System.nanoTime();
    /** The Services each event changed, in batch order: an event is live once all of them are. */
    private final List<Set<ServiceKey>> changedBy;
    // When each Service's new tables were swapped in; absent when it opened or closed a frontend. The first
    // Service has fields of its own and the map is made for a second: at a thousand changes per second most
    // batches hold one change, and a map per batch was garbage on every change.
    private ServiceKey firstSwapped;
    private long firstSwappedAt;
    private Map<ServiceKey, Long> swappedAt;

    BatchTiming(int events) {
        changedBy = new ArrayList<>(events);
    }

    /** The next event of the batch changed {@code services}. */
    void recorded(Set<ServiceKey> services) {
        changedBy.add(services);
    }

    /** {@code service}'s new tables are live now: it opened and closed no frontend. */
    void swapped(ServiceKey service) {
        long now = System.nanoTime();
        if (firstSwapped == null || firstSwapped.equals(service)) {
            firstSwapped = service;
            firstSwappedAt = now;
            return;
        }
        if (swappedAt == null) {
            swappedAt = new HashMap<>();
        }
        swappedAt.put(service, now);
    }

    /**
     * The batch is live now. {@code initialSync}: only its duration counts, since its changes waited for the
     * other lists, not for the control plane.
     */
    void live(List<Event> batch, boolean initialSync, ControlPlaneMetrics metrics) {
        long live = System.nanoTime();
        metrics.syncDuration.record(live - startNanos, TimeUnit.NANOSECONDS);
        if (initialSync) {
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            metrics.eventToLive.record(liveAt(changedBy.get(i), live) - batch.get(i).receivedNanos(),
                    TimeUnit.NANOSECONDS);
        }
        // Microseconds, not the millisecond clock: the trigger time is RFC 3339 with nanoseconds, and most
        // changes go live in well under a millisecond.
        Instant liveAt = Instant.now();
        for (int i = 0; i < batch.size(); i++) {
            if (batch.get(i) instanceof Event.Upsert u && u.object() instanceof V1EndpointSlice slice
                    && !changedBy.get(i).isEmpty()) {
                metrics.programmed(slice, liveAt);
            }
        }
    }

    /**
     * When an event was live: when the last Service it changed had its tables swapped in, or {@code flushed}
     * when one of them opened or closed a frontend, or when the event changed no Service on its own (a Node
     * change that re-rendered every Service, a no-op re-delivery).
     */
    private long liveAt(Set<ServiceKey> changed, long flushed) {
        if (changed.isEmpty()) {
            return flushed;
        }
        long live = Long.MIN_VALUE;
        for (ServiceKey key : changed) {
            if (key.equals(firstSwapped)) {
                live = Math.max(live, firstSwappedAt);
                continue;
            }
            Long at = swappedAt == null ? null : swappedAt.get(key);
            if (at == null) {
                return flushed;
            }
            live = Math.max(live, at);
        }
        return live;
    }
}
