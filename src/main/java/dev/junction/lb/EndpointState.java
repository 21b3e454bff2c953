package dev.junction.lb;

import dev.junction.model.Endpoint;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.LongAdder;

/**
 * Long-lived state of one endpoint of one service port: live connection count and passive health.
 * Survives table swaps because it is keyed by endpoint identity in {@link ServiceBalancer}, never
 * stored only in a snapshot. Thread-safe: event loops count and report, the control context retires it.
 */
public final class EndpointState {

    private static final AtomicIntegerFieldUpdater<EndpointState> ACTIVE =
            AtomicIntegerFieldUpdater.newUpdater(EndpointState.class, "active");

    private final Endpoint endpoint;
    private final InetSocketAddress socketAddress;
    private final Ejection ejection;
    private final LongAdder opened = new LongAdder();
    private volatile int active;
    private volatile int consecutiveFailures;
    private volatile long ejectedUntilNanos;
    private volatile boolean ejected;
    private volatile boolean retired;
    private int ejections;
    // Control thread only: the ServiceBalancer#tables call that last used this state.
    int usedInRebuild;

    EndpointState(Endpoint endpoint, Ejection ejection) {
        this.endpoint = endpoint;
        this.socketAddress = endpoint.socketAddress();
        this.ejection = ejection;
    }

    public Endpoint endpoint() {
        return endpoint;
    }

    /** Resolved once: connecting allocates no address. */
    public InetSocketAddress socketAddress() {
        return socketAddress;
    }

    /** Connections currently open to this endpoint, across all frontends of the service port. */
    public int active() {
        return active;
    }

    /** Connections opened to this endpoint since it joined the service port. */
    public long connections() {
        return opened.sum();
    }

    public void connectionOpened() {
        ACTIVE.incrementAndGet(this);
        opened.increment();
    }

    public void connectionClosed() {
        ACTIVE.decrementAndGet(this);
    }

    /** A connect (or first exchange) succeeded: the endpoint is healthy again. */
    public void succeeded() {
        // Read before write: the common healthy case costs one volatile read and no store.
        if (consecutiveFailures != 0 || ejected) {
            synchronized (this) {
                consecutiveFailures = 0;
                ejections = 0;
                ejected = false;
            }
        }
    }

    /**
     * A connect was refused or timed out; ejects after enough consecutive failures, with backoff. Returns
     * true when this failure ejected the endpoint.
     */
    public boolean failed(long nowNanos) {
        synchronized (this) {
            int failures = consecutiveFailures + 1;
            consecutiveFailures = failures;
            if (failures >= ejection.consecutiveFailures()) {
                ejectedUntilNanos = nowNanos + ejection.durationNanos(ejections++);
                ejected = true;
                consecutiveFailures = 0;
                return true;
            }
            return false;
        }
    }

    /** Not ejected (or its ejection has run out). Ejection is advisory: selectors fall back to ejected endpoints. */
    boolean available(long nowNanos) {
        return !ejected || nowNanos - ejectedUntilNanos >= 0;
    }

    public boolean ejected(long nowNanos) {
        return !available(nowNanos);
    }

    /** Removed from every route of its service port; affinity entries pointing here are void. */
    public boolean retired() {
        return retired;
    }

    void retire() {
        retired = true;
    }

    @Override
    public String toString() {
        return endpoint + "(active=" + active + (ejected ? ", ejected" : "") + ')';
    }
}
