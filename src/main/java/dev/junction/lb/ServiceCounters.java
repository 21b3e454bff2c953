package dev.junction.lb;

import java.util.concurrent.atomic.LongAdder;

/**
 * Traffic counters of one service port, held by its {@link ServiceBalancer} and reached from the table a
 * connection already read, so counting costs one striped add and never a lookup. For UDP ports a
 * connection is a session. Thread-safe; read by the metrics scrape.
 */
public final class ServiceCounters {

    private final LongAdder accepted = new LongAdder();
    private final LongAdder active = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder retried = new LongAdder();
    private final LongAdder ejections = new LongAdder();
    /** Payload from clients towards endpoints. */
    public final LongAdder bytesToEndpoints = new LongAdder();
    /** Payload from endpoints back to clients. */
    public final LongAdder bytesToClients = new LongAdder();

    /** A connection (or session) arrived; it stays active until {@link #closed}. */
    public void accepted() {
        accepted.increment();
        active.increment();
    }

    public void closed() {
        active.decrement();
    }

    /** The connection ended without reaching an endpoint (none usable, all attempts failed, source range). */
    public void failed() {
        failed.increment();
    }

    /** One more connect attempt, to another endpoint. */
    public void retried() {
        retried.increment();
    }

    /** An endpoint was ejected after consecutive failures. */
    public void ejected() {
        ejections.increment();
    }

    public long acceptedCount() {
        return accepted.sum();
    }

    public long activeCount() {
        return active.sum();
    }

    public long failedCount() {
        return failed.sum();
    }

    public long retriedCount() {
        return retried.sum();
    }

    public long ejectionCount() {
        return ejections.sum();
    }
}
