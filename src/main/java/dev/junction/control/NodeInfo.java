package dev.junction.control;

import dev.junction.model.CidrSet;
import io.kubernetes.client.openapi.models.V1Node;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What route building needs to know about this node: its name (the hostname override, compared with
 * endpoints' {@code nodeName}), its {@code topology.kubernetes.io/zone} label (null when unknown), the
 * addresses NodePort frontends bind (empty: no NodePort frontends) and the sources whose traffic counts as
 * this node's own, which externalTrafficPolicy Local short-circuits to the cluster endpoints (its addresses
 * and its pods, see {@link NodeState}). Immutable.
 */
public record NodeInfo(String name, String zone, List<InetAddress> nodePortAddresses, CidrSet localSources) {

    static final String ZONE_LABEL = "topology.kubernetes.io/zone";

    public NodeInfo {
        Objects.requireNonNull(name, "name");
        nodePortAddresses = List.copyOf(nodePortAddresses);
        Objects.requireNonNull(localSources, "localSources");
    }

    /** A node none of whose clients is known as its own but those calling a virtual IP from the node itself. */
    public NodeInfo(String name, String zone, List<InetAddress> nodePortAddresses) {
        this(name, zone, nodePortAddresses, CidrSet.EMPTY);
    }

    /** Reads the zone from {@code node}, which may be null while this node's object has not been seen yet. */
    public static NodeInfo of(String name, V1Node node, List<InetAddress> nodePortAddresses) {
        Map<String, String> labels = node == null || node.getMetadata() == null ? null : node.getMetadata().getLabels();
        String zone = labels == null ? null : labels.get(ZONE_LABEL);
        return new NodeInfo(name, zone == null || zone.isEmpty() ? null : zone, nodePortAddresses);
    }
}
