package dev.junction.control;

import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * kube-proxy's EndpointSliceCache: EndpointSlices grouped by namespace and their
 * {@code kubernetes.io/service-name} label, whoever manages them. Slices without that label belong to no
 * Service and are ignored. A slice is held as a {@link CachedSlice}, not as the client-java object: at
 * 1,000 changes a second each held slice lives until its next change, long enough to be promoted, so
 * what it keeps decides how much the old generation fills. Runs in the control context.
 */
final class EndpointSliceCache {

    static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

    private final Map<SliceId, Held> slices = new HashMap<>();
    // Sorted by slice name so merging, and so de-duplication ties, do not depend on arrival order.
    private final Map<ServiceKey, SortedMap<String, CachedSlice>> byService = new HashMap<>();

    /**
     * Returns the Services whose endpoints changed: none for an unchanged re-delivery (equal once
     * converted, so metadata churn such as resourceVersion or managedFields is one), two when the slice
     * moved from one Service to another, the old one when the slice lost its service-name label.
     */
    Set<ServiceKey> upsert(V1EndpointSlice slice) {
        SliceId id = SliceId.of(slice.getMetadata());
        ServiceKey service = serviceOf(slice);
        Held previous = slices.get(id);
        if (service == null) {
            return previous == null ? Set.of() : delete(id);
        }
        boolean sameService = previous != null && previous.service.equals(service);
        CachedSlice cached = CachedSlice.of(slice, sameService ? previous.slice : null);
        if (sameService && previous.slice.equals(cached)) {
            return Set.of();
        }
        if (previous != null && !sameService) {
            forget(id, previous.service);
        }
        slices.put(id, new Held(service, cached));
        byService.computeIfAbsent(service, k -> new TreeMap<>()).put(id.name, cached);
        return previous == null || previous.service.equals(service) ? Set.of(service) : Set.of(previous.service, service);
    }

    /** Removes by namespace and name; the label of a deleted object may be stale, so it is not read. */
    Set<ServiceKey> delete(V1EndpointSlice slice) {
        return delete(SliceId.of(slice.getMetadata()));
    }

    /** The slices of {@code service}, in slice-name order; empty when it has none. */
    Collection<CachedSlice> slices(ServiceKey service) {
        SortedMap<String, CachedSlice> held = byService.get(service);
        return held == null ? List.of() : Collections.unmodifiableCollection(held.values());
    }

    private Set<ServiceKey> delete(SliceId id) {
        Held previous = slices.remove(id);
        if (previous == null) {
            return Set.of();
        }
        forget(id, previous.service);
        return Set.of(previous.service);
    }

    private void forget(SliceId id, ServiceKey service) {
        SortedMap<String, CachedSlice> held = byService.get(service);
        held.remove(id.name);
        if (held.isEmpty()) {
            byService.remove(service);
        }
    }

    private static ServiceKey serviceOf(V1EndpointSlice slice) {
        V1ObjectMeta meta = slice.getMetadata();
        Map<String, String> labels = meta == null ? null : meta.getLabels();
        String name = labels == null ? null : labels.get(SERVICE_NAME_LABEL);
        if (name == null || name.isEmpty()) {
            return null;
        }
        return new ServiceKey(Objects.requireNonNullElse(meta.getNamespace(), ""), name);
    }

    private record SliceId(String namespace, String name) {

        static SliceId of(V1ObjectMeta meta) {
            ServiceKey key = ServiceKey.of(meta);
            return new SliceId(key.namespace(), key.name());
        }
    }

    private record Held(ServiceKey service, CachedSlice slice) {
    }
}
