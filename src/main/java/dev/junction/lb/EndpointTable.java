package dev.junction.lb;

import dev.junction.model.ServiceRoute;
import java.net.InetAddress;

/**
 * The immutable thing a listener slot holds: a route's endpoints resolved to their long-lived states,
 * plus the selector to pick with, and for an externalTrafficPolicy Local frontend the table of the cluster
 * endpoints its node's own clients get ({@link #forClient}). Built in the control context by
 * {@link ServiceBalancer#tables}, read by any event loop. Picking allocates nothing unless affinity pins a
 * new client.
 */
public final class EndpointTable {

    private static final EndpointState[] NONE = new EndpointState[0];

    private final ServiceRoute route;
    private final EndpointState[] states;
    private final Selector selector;
    private final ServiceBalancer balancer;
    private final long affinityNanos;
    /** The cluster endpoints for this node's own clients; null when every client gets this table. */
    private final EndpointTable shortCircuit;

    EndpointTable(ServiceRoute route, EndpointState[] states, Selector selector, ServiceBalancer balancer,
            EndpointTable shortCircuit) {
        this.route = route;
        this.states = states.length == 0 ? NONE : states;
        this.selector = selector;
        this.balancer = balancer;
        this.affinityNanos = route.affinityTimeout().toNanos();
        this.shortCircuit = shortCircuit;
    }

    public ServiceRoute route() {
        return route;
    }

    /**
     * The table a connection (or UDP session) from {@code client} to {@code frontend}, the address it
     * connected to, picks from: the cluster endpoints when the route short-circuits this node's own clients
     * and {@code client} is one (see {@link dev.junction.model.ShortCircuit}), else this table. Decide once per
     * connection; a few comparisons, nothing allocated beyond the address's byte copy, and nothing at all for
     * a route without short-circuit.
     */
    public EndpointTable forClient(InetAddress client, InetAddress frontend) {
        if (shortCircuit == null || !(client.equals(frontend) || route.shortCircuit().sources().contains(client))) {
            return this;
        }
        return shortCircuit;
    }

    public int size() {
        return states.length;
    }

    public EndpointState state(int index) {
        return states[index];
    }

    /**
     * Picks an endpoint for a new connection (or UDP session) from {@code client}, skipping the ones in
     * {@code excluded} (already tried by this connection). Returns {@code null} when nothing is left.
     * With ClientIP affinity, a live entry wins; a fresh pick (or a move after failure) re-pins. A pinned
     * endpoint that is ejected is left like one already tried: a UDP client, which has no retry of its own
     * here, would otherwise stay on a dead endpoint until its entry expires.
     */
    public EndpointState pick(InetAddress client, EndpointState[] excluded) {
        if (states.length == 0) {
            return null;
        }
        long now = balancer.nanoTime();
        if (affinityNanos == 0) {
            return selector.select(states, excluded, now);
        }
        EndpointState pinned = balancer.pinned(client, this, now, affinityNanos);
        if (pinned != null && pinned.available(now) && !Selector.excluded(pinned, excluded)) {
            return pinned;
        }
        EndpointState chosen = selector.select(states, excluded, now);
        if (chosen != null) {
            balancer.pin(client, chosen, this, now);
        }
        return chosen;
    }

    /** Whether {@code s} is one of this table's endpoints (by identity). */
    public boolean contains(EndpointState s) {
        for (EndpointState e : states) {
            if (e == s) {
                return true;
            }
        }
        return false;
    }

    /** The service port's traffic counters. */
    public ServiceCounters counters() {
        return balancer.counters();
    }

    /** For failure accounting with the same clock the balancer uses. */
    public long nanoTime() {
        return balancer.nanoTime();
    }
}
