package dev.junction.lb;

import dev.junction.model.Endpoint;
import dev.junction.model.LbPolicy;
import dev.junction.model.ServicePortName;
import dev.junction.model.ServiceRoute;
import dev.junction.model.ShortCircuit;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * Long-lived balancing state of one service port: endpoint states, the selector (with its cursor) and
 * the ClientIP affinity entries. Every frontend of the port shares it, so counts and cursors are per
 * service port whatever the number of addresses. {@link #tables} runs in the control context only;
 * picks through the tables it returns are thread-safe.
 */
public final class ServiceBalancer {

    private final ServicePortName service;
    private final LongSupplier nanoClock;
    private final Supplier<RandomGenerator> random;
    private final Ejection ejection;
    private final Map<Endpoint, EndpointState> states = new HashMap<>();
    private final ConcurrentHashMap<InetAddress, Affinity> affinity = new ConcurrentHashMap<>();
    private final ServiceCounters counters = new ServiceCounters();
    // One function for every rebuild: a capturing lambda at the call site would be allocated per endpoint.
    private final Function<Endpoint, EndpointState> newState;
    private LbPolicy policy;
    private Selector selector;
    private int rebuilds;
    /** How many distinct states the rebuild under way has marked so far. */
    private int marked;

    public ServiceBalancer(ServicePortName service, LongSupplier nanoClock, Supplier<RandomGenerator> random,
            Ejection ejection) {
        this.service = service;
        this.nanoClock = nanoClock;
        this.random = random;
        this.ejection = ejection;
        this.newState = e -> new EndpointState(e, ejection);
    }

    /** Production defaults: {@link System#nanoTime}, per-thread randomness, default ejection. */
    public static ServiceBalancer create(ServicePortName service) {
        return new ServiceBalancer(service, System::nanoTime, ThreadLocalRandom::current, Ejection.DEFAULT);
    }

    public ServicePortName service() {
        return service;
    }

    /** Traffic counters of this service port; they live as long as the balancer. */
    public ServiceCounters counters() {
        return counters;
    }

    /**
     * Builds the tables for the given routes of this service port (one per frontend kind in use), each
     * with its short-circuit table when the route has one, reusing the state of endpoints that stay and
     * retiring the state of endpoints no route uses any more. Runs in the control context.
     */
    public List<EndpointTable> tables(List<ServiceRoute> routes) {
        for (ServiceRoute r : routes) {
            if (!r.service().equals(service)) {
                throw new IllegalArgumentException(r.service() + " routed through balancer of " + service);
            }
        }
        // The states this rebuild uses are marked rather than collected in a set (a set per rebuild was
        // garbage for every endpoint). Every state held was used by the previous rebuild, so one left
        // unmarked belongs to an endpoint no route uses any more; when all are marked there is nothing to sweep.
        int rebuild = ++rebuilds;
        marked = 0;
        List<EndpointTable> tables = new ArrayList<>(routes.size());
        for (ServiceRoute r : routes) {
            Selector s = selector(r.policy());
            ShortCircuit shortCircuit = r.shortCircuit();
            EndpointTable cluster = shortCircuit.equals(ShortCircuit.NONE)
                    ? null
                    : new EndpointTable(r, states(shortCircuit.endpoints(), rebuild), s, this, null);
            tables.add(new EndpointTable(r, states(r.endpoints(), rebuild), s, this, cluster));
        }
        if (marked < states.size()) {
            states.values().removeIf(state -> {
                if (state.usedInRebuild == rebuild) {
                    return false;
                }
                state.retire();
                return true;
            });
        }
        if (affinity.size() > 0) {
            affinity.values().removeIf(a -> a.state.retired());
        }
        return tables;
    }

    /** The states of {@code endpoints}, made for those new, each marked as used by {@code rebuild}. */
    private EndpointState[] states(List<Endpoint> endpoints, int rebuild) {
        EndpointState[] table = new EndpointState[endpoints.size()];
        for (int i = 0; i < table.length; i++) {
            EndpointState state = states.computeIfAbsent(endpoints.get(i), newState);
            if (state.usedInRebuild != rebuild) {
                state.usedInRebuild = rebuild;
                marked++;
            }
            table[i] = state;
        }
        return table;
    }

    /** Retires every endpoint: the service port is gone. Runs in the control context. */
    public void close() {
        states.values().forEach(EndpointState::retire);
        states.clear();
        affinity.clear();
    }

    /** Drops affinity entries idle longer than their timeout; call periodically, in the control context. */
    public void expireAffinity(long timeoutNanos) {
        long now = nanoClock.getAsLong();
        affinity.values().removeIf(a -> now - a.lastUsedNanos >= timeoutNanos);
    }

    int affinityEntries() {
        return affinity.size();
    }

    long nanoTime() {
        return nanoClock.getAsLong();
    }

    private Selector selector(LbPolicy wanted) {
        if (selector == null || policy != wanted) {
            policy = wanted;
            selector = wanted == LbPolicy.LEAST_CONNECTIONS
                    ? Selector.leastConnections(random)
                    : Selector.roundRobin(random.get());
        }
        return selector;
    }

    EndpointState pinned(InetAddress client, EndpointTable table, long now, long timeoutNanos) {
        Affinity a = affinity.get(client);
        if (a == null || now - a.lastUsedNanos >= timeoutNanos || a.state.retired()) {
            return null;
        }
        // Membership is checked once per table the entry is used with, not on every hit: a scan would
        // make hits cost O(endpoints) (bench SelectorBenchmark.clientIpAffinityHit).
        if (a.checkedIn != table) {
            if (!table.contains(a.state)) {
                return null;
            }
            a.checkedIn = table;
        }
        a.lastUsedNanos = now;
        return a.state;
    }

    void pin(InetAddress client, EndpointState state, EndpointTable table, long now) {
        affinity.put(client, new Affinity(state, table, now));
    }

    /** One client's pinned endpoint; a use refreshes it, as kube-proxy's affinity does. */
    private static final class Affinity {
        final EndpointState state;
        volatile EndpointTable checkedIn;
        volatile long lastUsedNanos;

        Affinity(EndpointState state, EndpointTable checkedIn, long lastUsedNanos) {
            this.state = state;
            this.checkedIn = checkedIn;
            this.lastUsedNanos = lastUsedNanos;
        }
    }
}
