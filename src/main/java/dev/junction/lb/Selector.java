package dev.junction.lb;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;
import java.util.function.Supplier;

/**
 * Picks one endpoint from a table. Implementations are thread-safe and allocation-free per pick.
 * They prefer endpoints that are neither excluded nor ejected; when only ejected ones remain they pick
 * among those (a guess beats refusing); they return {@code null} only when every endpoint is excluded.
 */
interface Selector {

    /**
     * @param states   the table's endpoints, never empty
     * @param excluded endpoints already tried by this connection (may be null), compared by identity
     */
    EndpointState select(EndpointState[] states, EndpointState[] excluded, long nowNanos);

    /**
     * Rotates through the table; a pick uses up the turns of the unusable endpoints it passes, so the usable
     * ones share the picks evenly. The cursor starts at a random position so a fleet does not move in step.
     */
    static Selector roundRobin(RandomGenerator random) {
        return new RoundRobinSelector(new AtomicInteger(random.nextInt()));
    }

    /**
     * Least live connections. Tables of up to 8 endpoints are scanned for the exact minimum (from a random
     * offset, so ties spread); larger ones use the power of two random choices, which JMH shows is
     * cheaper from 6 endpoints on and which avoids herding on the single least-loaded endpoint.
     */
    static Selector leastConnections(Supplier<RandomGenerator> random) {
        return new LeastConnectionsSelector(random);
    }

    static boolean excluded(EndpointState s, EndpointState[] excluded) {
        if (excluded != null) {
            for (EndpointState e : excluded) {
                if (e == s) {
                    return true;
                }
            }
        }
        return false;
    }
}
