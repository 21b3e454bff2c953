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

    @Override
    public String toString() {
        return namespace + '/' + name + (port.isEmpty() ? "" : ":" + port) + '/' + protocol;
    }
}
