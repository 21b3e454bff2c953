package dev.junction.lb;

import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * Least live connections: exact minimum for tables up to {@link #SCAN_LIMIT} endpoints, power of two
 * choices above.
 * Thread-safe; the random source is per thread (supplied), so picks never contend.
 */
final class LeastConnectionsSelector implements Selector {

    /**
     * Up to this size the exact minimum is worth its cost: a sweep of both strategies forced at every size
     * (bench/results/selector-sweep-2026-11-25.txt) measured the scan at ~2 ns per endpoint against a flat
     * ~42 ns for two random choices (crossover at 4-6 endpoints, 57 ns against 42 ns at 8). Small Services
     * get exact least-connections for at most ~15 ns more per pick; SelectorBenchmark measures the
     * production pick on both sides of the limit (8 and 9 endpoints).
     */
    static final int SCAN_LIMIT = 8;

    private final Supplier<RandomGenerator> random;

    LeastConnectionsSelector(Supplier<RandomGenerator> random) {
        this.random = random;
    }

    @Override
    public EndpointState select(EndpointState[] states, EndpointState[] excluded, long nowNanos) {
        int n = states.length;
        if (n > SCAN_LIMIT) {
            EndpointState s = twoChoices(states, excluded, nowNanos);
            if (s != null) {
                return s;
            }
        }
        return scanMinimum(states, excluded, nowNanos);
    }

    private EndpointState twoChoices(EndpointState[] states, EndpointState[] excluded, long nowNanos) {
        RandomGenerator r = random.get();
        int n = states.length;
        int i = r.nextInt(n);
        int j = r.nextInt(n - 1);
        if (j >= i) {
            j++;
        }
        EndpointState a = states[i];
        EndpointState b = states[j];
        boolean aOk = a.available(nowNanos) && !Selector.excluded(a, excluded);
        boolean bOk = b.available(nowNanos) && !Selector.excluded(b, excluded);
        if (aOk && bOk) {
            return b.active() < a.active() ? b : a;
        }
        return aOk ? a : bOk ? b : null;
    }

    private EndpointState scanMinimum(EndpointState[] states, EndpointState[] excluded, long nowNanos) {
        int n = states.length;
        int start = n == 1 ? 0 : random.get().nextInt(n);
        EndpointState best = null;
        int bestActive = Integer.MAX_VALUE;
        EndpointState fallback = null;
        int fallbackActive = Integer.MAX_VALUE;
        for (int k = 0; k < n; k++) {
            int idx = start + k;
            EndpointState s = states[idx >= n ? idx - n : idx];
            if (Selector.excluded(s, excluded)) {
                continue;
            }
            int active = s.active();
            if (s.available(nowNanos)) {
                if (active < bestActive) {
                    best = s;
                    bestActive = active;
                }
            } else if (active < fallbackActive) {
                fallback = s;
                fallbackActive = active;
            }
        }
        return best != null ? best : fallback;
    }
}
