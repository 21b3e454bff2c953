package dev.junction.control;

import dev.junction.model.Endpoint;
import io.kubernetes.client.openapi.models.DiscoveryV1EndpointPort;
import io.kubernetes.client.openapi.models.V1Endpoint;
import io.kubernetes.client.openapi.models.V1EndpointConditions;
import io.kubernetes.client.openapi.models.V1EndpointHints;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1ForNode;
import io.kubernetes.client.openapi.models.V1ForZone;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServicePort;
import io.kubernetes.client.openapi.models.V1ServiceSpec;
import java.util.List;

/** Concise Kubernetes objects for control-plane tests; every object lives in namespace {@link #NS}. */
final class Fixtures {

    static final String NS = "ns";
    static final String THIS_NODE = "node-a";
    static final NodeInfo NODE = new NodeInfo(THIS_NODE, "zone-a", List.of());

    private Fixtures() {
    }

    /** A ClusterIP Service at 10.96.0.1 with the given ports. */
    static V1Service service(String name, V1ServicePort... ports) {
        V1ServiceSpec spec = new V1ServiceSpec().type("ClusterIP").clusterIP("10.96.0.1").addClusterIPsItem("10.96.0.1");
        for (V1ServicePort p : ports) {
            spec.addPortsItem(p);
        }
        return new V1Service().metadata(new V1ObjectMeta().namespace(NS).name(name).resourceVersion("1")).spec(spec);
    }

    static V1ServicePort port(String name, int port) {
        return new V1ServicePort().name(name).port(port).protocol("TCP");
    }

    /** A slice of {@code service} with the given ports, of address type IPv4. */
    static V1EndpointSlice slice(String name, String service, DiscoveryV1EndpointPort... ports) {
        V1EndpointSlice slice = new V1EndpointSlice()
                .metadata(new V1ObjectMeta().namespace(NS).name(name).resourceVersion("1")
                        .putLabelsItem(EndpointSliceCache.SERVICE_NAME_LABEL, service))
                .addressType("IPv4");
        for (DiscoveryV1EndpointPort p : ports) {
            slice.addPortsItem(p);
        }
        return slice;
    }

    static DiscoveryV1EndpointPort slicePort(String name, int port) {
        return new DiscoveryV1EndpointPort().name(name).port(port).protocol("TCP");
    }

    /** A Ready endpoint (conditions unset) on another node. */
    static V1Endpoint ep(String ip) {
        return new V1Endpoint().addAddressesItem(ip).nodeName("node-b");
    }

    static V1Endpoint ep(String ip, Boolean ready, Boolean serving, Boolean terminating) {
        return ep(ip).conditions(new V1EndpointConditions().ready(ready).serving(serving).terminating(terminating));
    }

    static V1Endpoint notReady(String ip) {
        return ep(ip, false, false, false);
    }

    static V1Endpoint servingTerminating(String ip) {
        return ep(ip, false, true, true);
    }

    static V1Endpoint hinted(V1Endpoint endpoint, List<String> nodes, List<String> zones) {
        V1EndpointHints hints = new V1EndpointHints();
        nodes.forEach(n -> hints.addForNodesItem(new V1ForNode().name(n)));
        zones.forEach(z -> hints.addForZonesItem(new V1ForZone().name(z)));
        return endpoint.hints(hints);
    }

    static Endpoint e(String ip, int port) {
        return Endpoint.of(ip, port);
    }
}
