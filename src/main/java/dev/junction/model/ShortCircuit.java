package dev.junction.model;

import java.util.List;
import java.util.Objects;

/**
 * kube-proxy's short-circuit of {@code externalTrafficPolicy: Local}: the policy applies only to traffic
 * from outside the node, so a client of this node calling a NodePort, externalIP or LoadBalancer IP goes to
 * the cluster endpoints instead of the local ones. A client is this node's when its address is the address
 * it connected to (how the node reaches a virtual IP that is local to it), or is in {@code sources} (the
 * node's addresses and its pods). {@link #NONE}: every client gets the route's endpoints. Immutable.
 */
public record ShortCircuit(CidrSet sources, List<Endpoint> endpoints) {

    public static final ShortCircuit NONE = new ShortCircuit(CidrSet.EMPTY, List.of());

    public ShortCircuit {
        Objects.requireNonNull(sources, "sources");
        endpoints = List.copyOf(endpoints);
    }
}
