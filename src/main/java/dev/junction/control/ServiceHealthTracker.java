package dev.junction.control;

import dev.junction.observe.ServiceHealthServer;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServiceSpec;
import java.net.InetAddress;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Tracks the service health checks: which Services need a health-check node port served and how many
 * Ready endpoints each has on this node, published to the {@link ServiceHealthServer} when it changes:
 * LoadBalancer Services with {@code externalTrafficPolicy: Local} and a {@code healthCheckNodePort}, as
 * kube-proxy serves them. Called only in the control context.
 */
final class ServiceHealthTracker {

    private record Check(int port, int localEndpoints) {
    }

    private final ControlContext<?> context;
    private final ServiceHealthServer server;
    private final String nodeName;
    private final Map<ServiceKey, Check> published = new HashMap<>();

    ServiceHealthTracker(ControlContext<?> context, ServiceHealthServer server, String nodeName) {
        this.context = context;
        this.server = server;
        this.nodeName = nodeName;
    }

    /** Recomputes {@code key}'s check; {@code svc} null means the Service is gone. */
    void update(ServiceKey key, V1Service svc, Collection<CachedSlice> slices) {
        context.throwIfNotInThisContext();
        Check now = svc == null ? null : check(svc, slices, nodeName);
        Check before = now == null ? published.remove(key) : published.put(key, now);
        if (Objects.equals(before, now)) {
            return;
        }
        if (now == null) {
            server.remove(key.namespace(), key.name());
        } else {
            server.update(key.namespace(), key.name(), now.port, now.localEndpoints);
        }
    }

    private static Check check(V1Service svc, Collection<CachedSlice> slices, String nodeName) {
        V1ServiceSpec spec = svc.getSpec();
        // 0 is how an API object says "none", as with every unset integer.
        if (!"LoadBalancer".equals(spec.getType()) || !"Local".equals(spec.getExternalTrafficPolicy())
                || spec.getHealthCheckNodePort() == null || spec.getHealthCheckNodePort() == 0) {
            return null;
        }
        return new Check(spec.getHealthCheckNodePort(), localReady(spec, slices, nodeName));
    }

    /**
     * Ready endpoints on this node, each address once, in the Service's primary family (kube-proxy's count).
     * Only endpoints route building would use count: an endpoint of an FQDN slice, which the cache keeps
     * without endpoints, is not one the load balancer can be sent to.
     */
    static int localReady(V1ServiceSpec spec, Collection<CachedSlice> slices, String nodeName) {
        List<String> families = spec.getIpFamilies();
        String family = families == null || families.isEmpty() ? null : families.get(0);
        Set<InetAddress> addresses = new HashSet<>();
        for (CachedSlice slice : slices) {
            if (family != null && !family.equals(slice.addressType())) {
                continue;
            }
            for (SliceEndpoint e : slice.endpoints()) {
                if (e.ready() && nodeName.equals(e.nodeName())) {
                    addresses.add(e.address());
                }
            }
        }
        return addresses.size();
    }
}
