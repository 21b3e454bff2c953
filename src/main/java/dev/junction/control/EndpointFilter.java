package dev.junction.control;

import dev.junction.model.Endpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * kube-proxy's CategorizeEndpoints: from the merged endpoints of one Service port, the endpoints usable
 * for cluster traffic and for local traffic (internal/externalTrafficPolicy {@code Local}). Stateless;
 * called in the control context.
 */
final class EndpointFilter {

    private EndpointFilter() {
    }

    /** Both lists keep the input order; an empty list means that kind of traffic is refused. */
    record Usable(List<Endpoint> cluster, List<Endpoint> local) {

        Usable {
            cluster = List.copyOf(cluster);
            local = List.copyOf(local);
        }
    }

    static Usable categorize(List<EndpointInfo> endpoints, NodeInfo node) {
        Predicate<EndpointInfo> inTopology = topology(endpoints, node);
        List<Endpoint> cluster = select(endpoints, e -> e.ready() && inTopology.test(e));
        if (cluster.isEmpty()) {
            // Nothing Ready anywhere (a topology filter only applies when it keeps a Ready endpoint), so
            // fall back to endpoints still serving while terminating, regardless of topology.
            cluster = select(endpoints, EndpointInfo::servingTerminating);
        }
        Predicate<EndpointInfo> isLocal = e -> node.name().equals(e.nodeName());
        List<Endpoint> local = select(endpoints, isLocal.and(EndpointInfo::ready));
        if (local.isEmpty()) {
            local = select(endpoints, isLocal.and(EndpointInfo::servingTerminating));
        }
        return new Usable(cluster, local);
    }

    /**
     * Topology hints are all-or-nothing: a filter applies only when every Ready endpoint carries a hint of
     * that kind and at least one hint names this node (or its zone); otherwise hints are ignored.
     */
    private static Predicate<EndpointInfo> topology(List<EndpointInfo> endpoints, NodeInfo node) {
        boolean allNodeHints = true;
        boolean nodeHinted = false;
        boolean allZoneHints = true;
        boolean zoneHinted = false;
        for (EndpointInfo e : endpoints) {
            if (!e.ready()) {
                continue;
            }
            if (e.nodeHints().isEmpty()) {
                allNodeHints = false;
            } else if (e.nodeHints().contains(node.name())) {
                nodeHinted = true;
            }
            if (e.zoneHints().isEmpty()) {
                allZoneHints = false;
            } else if (node.zone() != null && e.zoneHints().contains(node.zone())) {
                zoneHinted = true;
            }
        }
        if (allNodeHints && nodeHinted) {
            return e -> e.nodeHints().contains(node.name());
        }
        if (allZoneHints && zoneHinted) {
            return e -> e.zoneHints().contains(node.zone());
        }
        return e -> true;
    }

    private static List<Endpoint> select(List<EndpointInfo> endpoints, Predicate<EndpointInfo> keep) {
        List<Endpoint> out = new ArrayList<>();
        for (EndpointInfo e : endpoints) {
            if (keep.test(e)) {
                out.add(e.endpoint());
            }
        }
        return out;
    }
}
