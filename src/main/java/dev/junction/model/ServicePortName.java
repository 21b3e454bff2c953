package dev.junction.model;

import java.util.Objects;

/**
 * Identifies one port of one Service, as kube-proxy's {@code ServicePortName} does:
 * {@code namespace/name:port/protocol}. {@code port} is the port's name, empty when unnamed.
 */
public record ServicePortName(String namespace, String name, String port, Protocol protocol) {

    public ServicePortName {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(port, "port");
        Objects.requireNonNull(protocol, "protocol");
    }

    // Written out for the control plane change path's warm-up: see control.ServiceKey.
    @Override
    public boolean equals(Object o) {
        return o instanceof ServicePortName other && protocol == other.protocol && name.equals(other.name)
                && port.equals(other.port) && namespace.equals(other.namespace);
    }

    @Override
    public int hashCode() {
        return ((31 * namespace.hashCode() + name.hashCode()) * 31 + port.hashCode()) * 31 + protocol.hashCode();
    }

    @Override
    public String toString() {
        return namespace + '/' + name + (port.isEmpty() ? "" : ":" + port) + '/' + protocol;
    }
}
