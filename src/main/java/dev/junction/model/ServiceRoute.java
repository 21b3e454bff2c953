package dev.junction.model;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What one frontend does, as an immutable value: the service port it belongs to, the endpoints usable
 * for this kind of traffic (after kube-proxy's filtering; empty means refuse), the balancing policy,
 * the ClientIP affinity timeout ({@link Duration#ZERO} when affinity is off), the client prefixes allowed
 * to connect (empty: everyone; {@code loadBalancerSourceRanges} on LoadBalancer frontends), whether the
 * backend connection starts with a PROXY protocol header, and the endpoints this node's own clients get
 * instead ({@link ShortCircuit}, externalTrafficPolicy Local only). Built by the control plane; two equal
 * routes mean nothing needs to be republished.
 */
public record ServiceRoute(
        ServicePortName service, FrontendKind kind, List<Endpoint> endpoints, LbPolicy policy,
        Duration affinityTimeout, CidrSet sourceRanges, ProxyProtocol proxyProtocol, ShortCircuit shortCircuit) {

    public ServiceRoute {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(kind, "kind");
        endpoints = List.copyOf(endpoints);
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(affinityTimeout, "affinityTimeout");
        Objects.requireNonNull(sourceRanges, "sourceRanges");
        Objects.requireNonNull(proxyProtocol, "proxyProtocol");
        Objects.requireNonNull(shortCircuit, "shortCircuit");
    }

    /** A route open to every client, without PROXY protocol. */
    public ServiceRoute(ServicePortName service, FrontendKind kind, List<Endpoint> endpoints, LbPolicy policy,
            Duration affinityTimeout) {
        this(service, kind, endpoints, policy, affinityTimeout, List.of(), ProxyProtocol.NONE);
    }

    /** A route whose clients all get {@code endpoints}: no short-circuit for this node's own. */
    public ServiceRoute(ServicePortName service, FrontendKind kind, List<Endpoint> endpoints, LbPolicy policy,
            Duration affinityTimeout, List<Cidr> sourceRanges, ProxyProtocol proxyProtocol) {
        this(service, kind, endpoints, policy, affinityTimeout, CidrSet.of(sourceRanges), proxyProtocol,
                ShortCircuit.NONE);
    }

    public boolean affinity() {
        return !affinityTimeout.isZero();
    }

    /** True when {@code client} may use this frontend. */
    public boolean allows(InetAddress client) {
        // One matcher, laid out once: a flood of datagrams from outside the ranges costs no allocation per range.
        return sourceRanges.isEmpty() || sourceRanges.contains(client);
    }
}
