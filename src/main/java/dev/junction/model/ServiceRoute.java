package dev.junction.model;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What one frontend does, as an immutable value: the service port it belongs to, the endpoints usable
 * for this kind of traffic (after kube-proxy's filtering; empty means refuse), the balancing policy
 * and the ClientIP affinity timeout ({@link Duration#ZERO} when affinity is off). Built by the control
 * plane; two equal routes mean nothing needs to be republished.
 */
public record ServiceRoute(
        ServicePortName service, FrontendKind kind, List<Endpoint> endpoints, LbPolicy policy,
        Duration affinityTimeout) {

    public ServiceRoute {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(kind, "kind");
        endpoints = List.copyOf(endpoints);
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(affinityTimeout, "affinityTimeout");
    }

    public boolean affinity() {
        return !affinityTimeout.isZero();
    }
}
