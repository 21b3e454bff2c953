package dev.junction.source.kube;

import java.util.List;

/**
 * What the Kubernetes API source reads, resource by resource: the list it needs for RBAC. The
 * DaemonSet's ClusterRole grants exactly this (a test compares them), so a new informer starts here.
 */
public final class ApiAccess {

    /** One RBAC rule: API group ("" is core), resource, verbs. */
    public record Rule(String group, String resource, List<String> verbs) {

        public Rule {
            verbs = List.copyOf(verbs);
        }
    }

    /**
     * Services and EndpointSlices in every namespace and this node's Node (by field selector), each listed
     * and then watched. Nothing is written: Junction emits no Events.
     */
    public static final List<Rule> RULES = List.of(
            new Rule("", "services", List.of("list", "watch")),
            new Rule("", "nodes", List.of("list", "watch")),
            new Rule("discovery.k8s.io", "endpointslices", List.of("list", "watch")));

    private ApiAccess() {
    }
}
