package dev.junction.control;

import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1Service;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Records the sources' changes, kube-proxy style: each event updates the held Services, EndpointSlices or
 * node state and returns the Services whose routes it changed (none for a no-op re-delivery), and the
 * Services to rebuild accumulate until the batch is applied. Used only in the control context.
 */
final class ChangeTracker {

    /** Batches up to this many Services reuse the dirty set; larger ones leave a fresh one behind. */
    private static final int SMALL_BATCH = 64;

    private final ControlContext<?> context;
    private final ServiceTracker services = new ServiceTracker();
    private final EndpointSliceCache slices = new EndpointSliceCache();
    private final NodeState node;
    private final ControlPlaneMetrics metrics;
    // Not final: after a batch that touched many Services (the first sync) it is replaced, because
    // iterating and clearing a HashSet costs its capacity, not its size, and that would tax every later
    // single-change batch (seen in JFR as HashIterator.<init> in the control context).
    // In arrival order, so in a burst the earliest changes go live first.
    private Set<ServiceKey> dirty = new LinkedHashSet<>();

    ChangeTracker(ControlContext<?> context, NodeState node, ControlPlaneMetrics metrics) {
        this.context = context;
        this.node = node;
        this.metrics = metrics;
    }

    /**
     * Records {@code e} (not {@link Event.Synced}); returns the Services whose routes it changed on its own.
     * A change to this node (zone, NodePort addresses) marks every Service dirty and returns none.
     */
    Set<ServiceKey> record(Event e) {
        context.throwIfNotInThisContext();
        if (e instanceof Event.Upsert u) {
            return record(u.object(), false);
        } else if (e instanceof Event.Delete d) {
            return record(d.object(), true);
        } else if (e instanceof Event.NodePortAddresses a && node.recordAddresses(a.addresses())) {
            rebuildAll();
        }
        return Set.of();
    }

    private Set<ServiceKey> record(KubernetesObject o, boolean deleted) {
        if (o instanceof V1Service svc) {
            ServiceKey key = ServiceKey.of(svc.getMetadata());
            if (deleted ? services.delete(key) : services.upsert(svc)) {
                dirty.add(key);
                metrics.serviceChanges.increment();
                return Set.of(key);
            }
        } else if (o instanceof V1EndpointSlice slice) {
            Set<ServiceKey> touched = deleted ? slices.delete(slice) : slices.upsert(slice);
            if (!touched.isEmpty()) {
                dirty.addAll(touched);
                metrics.endpointChanges.increment();
            }
            return touched;
        } else if (o instanceof V1Node n && node.record(n, deleted)) {
            rebuildAll();
        }
        return Set.of();
    }

    /** Marks every Service dirty: the first sync, or a change to this node. */
    void rebuildAll() {
        dirty.addAll(services.keys());
    }

    /** The Services to rebuild, in the order their changes arrived. */
    Set<ServiceKey> dirty() {
        return dirty;
    }

    /** Forgets the dirty Services once they are rebuilt. */
    void rebuilt() {
        if (dirty.size() > SMALL_BATCH) {
            dirty = new LinkedHashSet<>();
        } else {
            dirty.clear();
        }
    }

    /** Null when no such Service is held. */
    V1Service service(ServiceKey key) {
        return services.get(key);
    }

    /** The slices labelled with {@code key}'s name, held or not; empty when it has none. */
    Collection<CachedSlice> slices(ServiceKey key) {
        return slices.slices(key);
    }

    int serviceCount() {
        return services.keys().size();
    }
}
