package dev.junction.control;

import dev.junction.model.Endpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * kube-proxy's CategorizeEndpoints: from the merged endpoints of one Service port, the endpoints usable
 * for cluster traffic and for local traffic (internal/externalTrafficPolicy {@code Local}). Stateless;
 * called in the control context.
 */
final class EndpointFilter {

    private EndpointFilter() {
    }

    /**
     * One merged endpoint of a Service port: the address and port a route forwards to, and the slice
     * endpoint it came from, whose node, conditions and hints decide which traffic may use it. The port is
     * the one its slice gives the Service port, so two slices may give one address two candidates.
     */
    record Candidate(Endpoint endpoint, SliceEndpoint source) {

        Candidate {
            Objects.requireNonNull(endpoint, "endpoint");
            Objects.requireNonNull(source, "source");
        }
    }

    /** Both lists keep the input order; an empty list means that kind of traffic is refused. */
    record Usable(List<Endpoint> cluster, List<Endpoint> local) {

        Usable {
            cluster = List.copyOf(cluster);
            local = List.copyOf(local);
        }
    }

    static Usable categorize(List<Candidate> endpoints, NodeInfo node) {
        Predicate<Candidate> inTopology = topology(endpoints, node);
        List<Endpoint> cluster = select(endpoints, c -> c.source().ready() && inTopology.test(c));
        if (cluster.isEmpty()) {
            // Nothing Ready anywhere (a topology filter only applies when it keeps a Ready endpoint), so
            // fall back to endpoints still serving while terminating, regardless of topology.
            cluster = select(endpoints, c -> c.source().servingTerminating());
        }
        Predicate<Candidate> isLocal = c -> node.name().equals(c.source().nodeName());
        List<Endpoint> local = select(endpoints, isLocal.and(c -> c.source().ready()));
        if (local.isEmpty()) {
            local = select(endpoints, isLocal.and(c -> c.source().servingTerminating()));
        }
        return new Usable(cluster, local);
    }

    /**
     * Topology hints are all-or-nothing: a filter applies only when every Ready endpoint carries a hint of
     * that kind and at least one hint names this node (or its zone); otherwise hints are ignored.
     */
    private static Predicate<Candidate> topology(List<Candidate> endpoints, NodeInfo node) {
        boolean allNodeHints = true;
        boolean nodeHinted = false;
        boolean allZoneHints = true;
        boolean zoneHinted = false;
        for (Candidate c : endpoints) {
            SliceEndpoint e = c.source();
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
            return c -> c.source().nodeHints().contains(node.name());
        }
        if (allZoneHints && zoneHinted) {
            return c -> c.source().zoneHints().contains(node.zone());
        }
        return c -> true;
    }

    private static List<Endpoint> select(List<Candidate> endpoints, Predicate<Candidate> keep) {
        List<Endpoint> out = new ArrayList<>();
        for (Candidate c : endpoints) {
            if (keep.test(c)) {
                out.add(c.endpoint());
            }
        }
        return out;
    }
}
