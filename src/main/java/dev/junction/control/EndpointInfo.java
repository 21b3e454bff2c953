package dev.junction.control;

import dev.junction.model.Endpoint;
import io.kubernetes.client.openapi.models.V1Endpoint;
import io.kubernetes.client.openapi.models.V1EndpointConditions;
import io.kubernetes.client.openapi.models.V1EndpointHints;
import io.kubernetes.client.openapi.models.V1ForNode;
import io.kubernetes.client.openapi.models.V1ForZone;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One merged endpoint of one Service port, as kube-proxy's endpoint info: the address, the node it runs
 * on (null when unknown), its conditions and its topology hints (empty when none). Immutable.
 */
record EndpointInfo(
        Endpoint endpoint, String nodeName, boolean ready, boolean serving, boolean terminating,
        Set<String> nodeHints, Set<String> zoneHints) {

    EndpointInfo {
        Objects.requireNonNull(endpoint, "endpoint");
        nodeHints = Set.copyOf(nodeHints);
        zoneHints = Set.copyOf(zoneHints);
    }

    /** Conditions as kube-proxy reads them: ready and serving unless false, terminating only if true. */
    static EndpointInfo of(Endpoint endpoint, V1Endpoint source) {
        V1EndpointConditions c = source.getConditions();
        V1EndpointHints hints = source.getHints();
        return new EndpointInfo(
                endpoint,
                source.getNodeName(),
                c == null || !Boolean.FALSE.equals(c.getReady()),
                c == null || !Boolean.FALSE.equals(c.getServing()),
                c != null && Boolean.TRUE.equals(c.getTerminating()),
                hints == null ? Set.of() : nodeNames(hints.getForNodes()),
                hints == null ? Set.of() : zoneNames(hints.getForZones()));
    }

    boolean servingTerminating() {
        return serving && terminating;
    }

    private static Set<String> nodeNames(List<V1ForNode> forNodes) {
        Set<String> names = new HashSet<>();
        if (forNodes != null) {
            for (V1ForNode n : forNodes) {
                if (n != null && n.getName() != null) {
                    names.add(n.getName());
                }
            }
        }
        return names;
    }

    private static Set<String> zoneNames(List<V1ForZone> forZones) {
        Set<String> names = new HashSet<>();
        if (forZones != null) {
            for (V1ForZone z : forZones) {
                if (z != null && z.getName() != null) {
                    names.add(z.getName());
                }
            }
        }
        return names;
    }
}
