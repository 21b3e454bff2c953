package dev.junction.control;

import io.kubernetes.client.openapi.models.DiscoveryV1EndpointPort;
import io.kubernetes.client.openapi.models.V1Endpoint;
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
 * Service and are ignored. Runs on the control thread.
 */
final class EndpointSliceCache {

    static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

    private final Map<SliceId, Held> slices = new HashMap<>();
    // Sorted by slice name so merging, and so de-duplication ties, do not depend on arrival order.
    private final Map<ServiceKey, SortedMap<String, V1EndpointSlice>> byService = new HashMap<>();

    /**
     * Returns the Services whose endpoints changed: none for an unchanged re-delivery, two when the
     * slice moved from one Service to another, the old one when the slice lost its service-name label.
     */
    Set<ServiceKey> upsert(V1EndpointSlice slice) {
        SliceId id = SliceId.of(slice.getMetadata());
        ServiceKey service = serviceOf(slice);
        Held previous = slices.get(id);
        if (service == null) {
            return previous == null ? Set.of() : delete(id);
        }
        Relevant relevant = Relevant.of(slice);
        if (previous != null && previous.service.equals(service) && previous.relevant.equals(relevant)) {
            return Set.of();
        }
        if (previous != null && !previous.service.equals(service)) {
            forget(id, previous.service);
        }
        slices.put(id, new Held(service, relevant));
        byService.computeIfAbsent(service, k -> new TreeMap<>()).put(id.name, slice);
        return previous == null || previous.service.equals(service) ? Set.of(service) : Set.of(previous.service, service);
    }

    /** Removes by namespace and name; the label of a deleted object may be stale, so it is not read. */
    Set<ServiceKey> delete(V1EndpointSlice slice) {
        return delete(SliceId.of(slice.getMetadata()));
    }

    Set<ServiceKey> delete(String namespace, String name) {
        return delete(new SliceId(Objects.requireNonNullElse(namespace, ""), Objects.requireNonNullElse(name, "")));
    }

    /** The slices of {@code service}, in slice-name order; empty when it has none. */
    Collection<V1EndpointSlice> slices(ServiceKey service) {
        SortedMap<String, V1EndpointSlice> held = byService.get(service);
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
        SortedMap<String, V1EndpointSlice> held = byService.get(service);
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

    private record Held(ServiceKey service, Relevant relevant) {
    }

    /** What route building reads from a slice; metadata churn (resourceVersion, managedFields) is left out. */
    private record Relevant(String addressType, List<DiscoveryV1EndpointPort> ports, List<V1Endpoint> endpoints) {

        static Relevant of(V1EndpointSlice slice) {
            return new Relevant(slice.getAddressType(), slice.getPorts(), slice.getEndpoints());
        }
    }
}
