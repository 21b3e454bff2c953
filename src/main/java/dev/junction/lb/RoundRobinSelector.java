package dev.junction.lb;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Round-robin over a shared cursor that outlives table swaps: each pick takes turns from the cursor until
 * one falls on an endpoint it can use, so an ejected (or already tried) endpoint's turn is used up rather
 * than handed to its neighbour, which would then get two turns a round. Every turn is taken by exactly one
 * pick, so usable endpoints get equal shares even under contention. Thread-safe and lock-free.
 */
final class RoundRobinSelector implements Selector {

    private final AtomicInteger cursor;

    RoundRobinSelector(AtomicInteger cursor) {
        this.cursor = cursor;
    }

    @Override
    public EndpointState select(EndpointState[] states, EndpointState[] excluded, long nowNanos) {
        int n = states.length;
        retry:
        for (;;) {
            int turn = cursor.getAndIncrement();
            int start = Math.floorMod(turn, n);
            EndpointState s = states[start];
            boolean excludedAtTurn = Selector.excluded(s, excluded);
            if (!excludedAtTurn && s.available(nowNanos)) {
                return s;
            }
            // The rest of the round from here, taken in one step rather than one increment per unusable
            // endpoint: a table of ejected endpoints would otherwise cost an atomic add for each.
            int fallback = excludedAtTurn ? -1 : start;
            for (int i = 1; i < n; i++) {
                int idx = start + i;
                s = states[idx >= n ? idx - n : idx];
                if (Selector.excluded(s, excluded)) {
                    continue;
                }
                if (s.available(nowNanos)) {
                    // Claims turns turn+1 .. turn+i only if no other pick took turn+1 meanwhile; otherwise
                    // one of those turns is someone else's, and this pick starts again from a fresh turn.
                    if (cursor.compareAndSet(turn + 1, turn + i + 1)) {
                        return s;
                    }
                    continue retry;
                }
                if (fallback < 0) {
                    fallback = idx >= n ? idx - n : idx;
                }
            }
            // Nothing usable: the first ejected endpoint not yet tried, usually the one at this pick's own
            // turn, so the guesses rotate too.
            return fallback < 0 ? null : states[fallback];
        }
    }
}
