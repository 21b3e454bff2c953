package dev.junction.control;

import dev.junction.source.ServiceProxyLabels;
import io.kubernetes.client.openapi.models.V1LoadBalancerStatus;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServiceSpec;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Holds the current {@link V1Service} per {@link ServiceKey} and tells which deliveries change anything
 * routing depends on, so a relist that re-delivers every object costs no rebuild. Runs in the control context.
 */
final class ServiceTracker {

    private final Map<ServiceKey, Held> services = new HashMap<>();

    /** Returns false when {@code service} equals the held one in every field routing reads. */
    boolean upsert(V1Service service) {
        ServiceKey key = ServiceKey.of(service.getMetadata());
        Relevant relevant = Relevant.of(service);
        Held previous = services.put(key, new Held(service, relevant));
        return previous == null || !previous.relevant.equals(relevant);
    }

    boolean delete(ServiceKey key) {
        return services.remove(key) != null;
    }

    /** Null when no such Service is held. */
    V1Service get(ServiceKey key) {
        Held held = services.get(key);
        return held == null ? null : held.service;
    }

    Set<ServiceKey> keys() {
        return Collections.unmodifiableSet(services.keySet());
    }

    private record Held(V1Service service, Relevant relevant) {
    }

    /**
     * The parts of a Service that RouteBuilder reads. Other metadata (resourceVersion, managedFields,
     * unrelated annotations) changes on every write and must not cause a rebuild.
     */
    private record Relevant(
            V1ServiceSpec spec, Map<String, String> labels, Map<String, String> annotations,
            V1LoadBalancerStatus loadBalancer) {

        static Relevant of(V1Service service) {
            V1ObjectMeta meta = service.getMetadata();
            Map<String, String> labels = new TreeMap<>();
            Map<String, String> annotations = new TreeMap<>();
            if (meta != null && meta.getLabels() != null) {
                meta.getLabels().forEach((k, v) -> {
                    if (k.equals(ServiceProxyLabels.SERVICE_PROXY_NAME) || k.equals(ServiceProxyLabels.HEADLESS)) {
                        labels.put(k, v);
                    }
                });
            }
            if (meta != null && meta.getAnnotations() != null) {
                meta.getAnnotations().forEach((k, v) -> {
                    if (k.startsWith(RouteBuilder.ANNOTATION_PREFIX)) {
                        annotations.put(k, v);
                    }
                });
            }
            return new Relevant(service.getSpec(), labels, annotations,
                    service.getStatus() == null ? null : service.getStatus().getLoadBalancer());
        }
    }
}
