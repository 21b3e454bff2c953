package dev.junction.control;

import io.kubernetes.client.openapi.models.DiscoveryV1EndpointPort;
import io.kubernetes.client.openapi.models.V1Endpoint;
import io.kubernetes.client.openapi.models.V1EndpointConditions;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServicePort;
import io.kubernetes.client.openapi.models.V1ServiceSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * Services and EndpointSlices shaped as the API server delivers them (ClusterIP Service with one named TCP
 * port; an IPv4 slice whose endpoints carry a node name and all three conditions), for the control-plane
 * benchmarks. Endpoint {@code n} of the whole run has address {@code 10.x.y.z} with {@code n} in the low
 * 24 bits, as {@code ScaleApiServer} numbers them.
 */
final class KubeObjects {

    static final String NAMESPACE = "bench";
    static final String NODE = "node-a";

    private KubeObjects() {
    }

    static V1Service service(String name, String clusterIp) {
        V1ServiceSpec spec = new V1ServiceSpec().type("ClusterIP").clusterIP(clusterIp).addClusterIPsItem(clusterIp)
                .addIpFamiliesItem("IPv4").ipFamilyPolicy("SingleStack").sessionAffinity("None")
                .internalTrafficPolicy("Cluster")
                .addPortsItem(new V1ServicePort().name("http").port(8080).protocol("TCP"));
        return new V1Service().apiVersion("v1").kind("Service")
                .metadata(new V1ObjectMeta().namespace(NAMESPACE).name(name).resourceVersion("1")).spec(spec);
    }

    /** {@code count} endpoints numbered from {@code first}, all ready, on other nodes. */
    static List<V1Endpoint> endpoints(int first, int count) {
        List<V1Endpoint> out = new ArrayList<>(count);
        for (int e = 0; e < count; e++) {
            out.add(endpoint(first + e, true));
        }
        return out;
    }

    /**
     * The slice of {@code service} holding {@code endpoints}, except endpoint {@code notReady} (none when
     * negative) replaced by a not-ready copy; the others are shared with the list given, so two versions of
     * a slice cost one extra endpoint, not a second copy of all of them.
     */
    static V1EndpointSlice slice(String service, List<V1Endpoint> endpoints, int first, int notReady,
            long resourceVersion) {
        List<V1Endpoint> version = new ArrayList<>(endpoints);
        if (notReady >= 0) {
            version.set(notReady, endpoint(first + notReady, false));
        }
        return new V1EndpointSlice().apiVersion("discovery.k8s.io/v1").kind("EndpointSlice")
                .metadata(new V1ObjectMeta().namespace(NAMESPACE).name(service + "-1")
                        .resourceVersion(String.valueOf(resourceVersion))
                        .putLabelsItem(EndpointSliceCache.SERVICE_NAME_LABEL, service)
                        .putLabelsItem("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io"))
                .addressType("IPv4")
                .addPortsItem(new DiscoveryV1EndpointPort().name("http").port(9000).protocol("TCP"))
                .endpoints(version);
    }

    private static V1Endpoint endpoint(int n, boolean ready) {
        return new V1Endpoint().addAddressesItem(ip(10, n)).nodeName("node-" + (n % 50 + 1))
                .conditions(new V1EndpointConditions().ready(ready).serving(ready).terminating(false));
    }

    static String ip(int prefix, int n) {
        return prefix + "." + ((n >> 16) & 255) + "." + ((n >> 8) & 255) + "." + (n & 255);
    }
}
