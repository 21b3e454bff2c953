package dev.junction.source;

import io.kubernetes.client.common.KubernetesObject;

/**
 * Where a source delivers the desired state: {@code V1Service}, {@code V1EndpointSlice} and
 * {@code V1Node} objects, already validated. Implementations are thread-safe (sources call from their
 * own threads) and idempotent: an object re-delivered unchanged is a no-op.
 *
 * <p>Deliveries take effect at the latest when the delivering thread calls {@link #flush}. A source
 * flushes as soon as it has nothing more at hand, so what arrived together is applied together and a
 * lone change at once.
 */
public interface ObjectSink {

    /** Adds or replaces the object with this kind, namespace and name. */
    void upsert(KubernetesObject object);

    /** Removes the object with this kind, namespace and name; unknown objects are ignored. */
    void delete(KubernetesObject object);

    /** The source has delivered its complete initial state; nothing is programmed before this. */
    void synced();

    /**
     * The source has stopped for good (its thread died, its directory is gone): it will deliver nothing more,
     * so what is served no longer follows the desired state. What it delivered stays in force; health reports
     * the source as a change that is never applied. {@code reason} is one line, already logged by the source.
     */
    void failed(String reason);

    /**
     * The source cannot follow the desired state for now (the API server refuses its credentials), though it keeps
     * trying: what it delivered stays in force, and {@code /healthz} fails once this has lasted the health limit
     * until {@link #resumed}, so the kubelet learns the node serves frozen routes ({@code /livez} does not: a
     * restart would cut every connection and bring no credentials). {@code reason} is one line, already logged.
     */
    void stalled(String reason);

    /** The source follows the desired state again after {@link #stalled}. */
    void resumed();

    /**
     * Has everything delivered so far applied: on this thread before returning, or, when the sink is
     * applying on another thread already, by that thread as soon as it is done.
     */
    void flush();
}
