package dev.junction.testing;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/** Manifest text for tests that run Junction on a manifest directory. Stateless. */
public final class Manifests {

    private Manifests() {
    }

    /** A TCP ClusterIP Service {@code name} (namespace default) at {@code vip}, with one ready endpoint. */
    public static String serviceWithOneEndpoint(String name, InetSocketAddress vip, InetAddress endpoint, int port) {
        return """
                apiVersion: v1
                kind: Service
                metadata: {name: %1$s, namespace: default}
                spec:
                  clusterIP: %2$s
                  ports: [{port: %3$d}]
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: %1$s-1, namespace: default, labels: {kubernetes.io/service-name: %1$s}}
                addressType: IPv4
                ports: [{port: %4$d, protocol: TCP}]
                endpoints: [{addresses: ["%5$s"]}]
                """.formatted(name, vip.getAddress().getHostAddress(), vip.getPort(), port, endpoint.getHostAddress());
    }
}
