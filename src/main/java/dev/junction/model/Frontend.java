package dev.junction.model;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A virtual address clients connect to: one listener per frontend. Identity is address, port and protocol.
 */
public record Frontend(InetAddress address, int port, Protocol protocol) {

    public Frontend {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(protocol, "protocol");
        // Port 0 binds an ephemeral port: tests use it, Kubernetes objects never produce it.
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    public InetSocketAddress socketAddress() {
        return new InetSocketAddress(address, port);
    }

    @Override
    public String toString() {
        return Addresses.format(address, port) + '/' + protocol;
    }
}
