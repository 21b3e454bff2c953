package dev.junction.source.kube;

import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.stream.Collectors;

/** JSON text of the objects the fake API server serves, as an API server would write them. */
final class ApiObjects {

    private ApiObjects() {
    }

    static String service(String name, InetSocketAddress vip) {
        return service(name, vip.getAddress().getHostAddress(), vip.getPort(), "");
    }

    /** {@code extraSpec} is spliced into spec, e.g. {@code "\"futureField\": {\"a\": 1},"}. */
    static String service(String name, String clusterIp, int port, String extraSpec) {
        return """
                {"kind": "Service", "apiVersion": "v1",
                 "metadata": {"name": "%s", "namespace": "shop", "uid": "u-%s", "creationTimestamp": "2026-01-02T03:04:05Z"},
                 "spec": {%s "clusterIP": "%s", "clusterIPs": ["%s"], "type": "ClusterIP",
                          "ports": [{"name": "http", "port": %d, "protocol": "TCP", "targetPort": 8080}]}}
                """.formatted(name, name, extraSpec, clusterIp, clusterIp, port);
    }

    static String labelledService(String name, String clusterIp, int port, String label) {
        return """
                {"kind": "Service", "apiVersion": "v1",
                 "metadata": {"name": "%s", "namespace": "shop", "labels": {"%s": "x"}},
                 "spec": {"clusterIP": "%s", "ports": [{"name": "http", "port": %d}]}}
                """.formatted(name, label, clusterIp, port);
    }

    /** A slice of Service {@code service} with one ready endpoint per address, all on {@code port}. */
    static String slice(String name, String service, int port, String... addresses) {
        return labelledSlice(name, service, port, null, addresses);
    }

    /** {@link #slice}, also labelled {@code label} (with the value "x") when it is not null. */
    static String labelledSlice(String name, String service, int port, String label, String... addresses) {
        String endpoints = Arrays.stream(addresses)
                .map(a -> "{\"addresses\": [\"" + a + "\"], \"conditions\": {\"ready\": true}}")
                .collect(Collectors.joining(", "));
        String extraLabel = label == null ? "" : ", \"" + label + "\": \"x\"";
        return """
                {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
                 "metadata": {"name": "%s", "namespace": "shop", "labels": {"kubernetes.io/service-name": "%s"%s}},
                 "addressType": "IPv4",
                 "ports": [{"name": "http", "port": %d, "protocol": "TCP"}],
                 "endpoints": [%s]}
                """.formatted(name, service, extraLabel, port, endpoints);
    }

    static String node(String name, String zone) {
        return """
                {"kind": "Node", "apiVersion": "v1",
                 "metadata": {"name": "%s", "labels": {"topology.kubernetes.io/zone": "%s"}}}
                """.formatted(name, zone);
    }
}
