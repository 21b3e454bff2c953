package dev.junction.model;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;

/** A backend address a frontend forwards to. Identity is IP and port, as in kube-proxy's de-duplication. */
public record Endpoint(InetAddress address, int port) {

    public Endpoint {
        Objects.requireNonNull(address, "address");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    public static Endpoint of(String ip, int port) {
        return new Endpoint(Addresses.parse(ip), port);
    }

    public InetSocketAddress socketAddress() {
        return new InetSocketAddress(address, port);
    }

    @Override
    public String toString() {
        return Addresses.format(address, port);
    }
}
