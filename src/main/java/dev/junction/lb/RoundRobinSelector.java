package dev.junction.lb;

import java.util.concurrent.atomic.AtomicInteger;

/** Round-robin over a shared cursor that outlives table swaps. Thread-safe. */
final class RoundRobinSelector implements Selector {

    private final AtomicInteger cursor;

    RoundRobinSelector(AtomicInteger cursor) {
        this.cursor = cursor;
    }

    @Override
    public EndpointState select(EndpointState[] states, EndpointState[] excluded, long nowNanos) {
        int n = states.length;
        int start = Math.floorMod(cursor.getAndIncrement(), n);
        EndpointState fallback = null;
        for (int i = 0; i < n; i++) {
            int idx = start + i;
            EndpointState s = states[idx >= n ? idx - n : idx];
            if (Selector.excluded(s, excluded)) {
                continue;
            }
            if (s.available(nowNanos)) {
                return s;
            }
            if (fallback == null) {
                fallback = s;
            }
        }
        return fallback;
    }
}
