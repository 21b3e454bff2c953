package dev.junction.control;

import dev.junction.model.Addresses;
import dev.junction.model.Protocol;
import dev.junction.model.ServicePortName;
import io.kubernetes.client.openapi.models.DiscoveryV1EndpointPort;
import io.kubernetes.client.openapi.models.V1Endpoint;
import io.kubernetes.client.openapi.models.V1EndpointConditions;
import io.kubernetes.client.openapi.models.V1EndpointHints;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1ForNode;
import io.kubernetes.client.openapi.models.V1ForZone;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * An EndpointSlice as the control plane keeps it: only what route building reads, converted once when
 * the slice arrives, so the cache neither holds the client-java object (metadata, managedFields, a map
 * and a list per endpoint) nor re-parses addresses on every rebuild. Two equal values route the same,
 * which makes equality the test for an unchanged re-delivery. The slice passed
 * {@code source.ObjectValidator}, so its addresses are IPs of its family and its port numbers in range.
 * Immutable.
 *
 * @param addressType {@code IPv4}, {@code IPv6}, or {@code FQDN}, which route building ignores
 * @param ports       the ports a Service port can match: named ("" when unnamed), TCP or UDP, numbered
 * @param endpoints   the endpoints of an IPv4 or IPv6 slice, by their first address, in slice order
 */
record CachedSlice(String namespace, String name, String addressType, List<Port> ports, List<SliceEndpoint> endpoints) {

    static final String IPV4 = "IPv4";
    static final String IPV6 = "IPv6";

    /** A port of the slice. */
    record Port(String name, Protocol protocol, int port) {
    }

    CachedSlice {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        ports = List.copyOf(ports);
        endpoints = List.copyOf(endpoints);
    }

    static CachedSlice of(V1EndpointSlice slice) {
        V1ObjectMeta meta = slice.getMetadata();
        String namespace = Objects.requireNonNullElse(meta.getNamespace(), "");
        String name = meta.getName();
        // The shared constants, not the decoded strings, so a held slice does not keep its own copy.
        String addressType = IPV4.equals(slice.getAddressType()) ? IPV4
                : IPV6.equals(slice.getAddressType()) ? IPV6 : slice.getAddressType();
        List<SliceEndpoint> endpoints = List.of();
        // FQDN slices are never merged, so their endpoints are not kept.
        if ((IPV4.equals(addressType) || IPV6.equals(addressType)) && slice.getEndpoints() != null) {
            endpoints = new ArrayList<>(slice.getEndpoints().size());
            for (V1Endpoint endpoint : slice.getEndpoints()) {
                endpoints.add(endpoint(endpoint));
            }
        }
        return new CachedSlice(namespace, name, addressType, ports(slice.getPorts()), endpoints);
    }

    /**
     * This slice, a new version of {@code previous} (same namespace and name), with every endpoint that is
     * unchanged from it (same position, equal) replaced
     * by the previous instance. A change usually touches one endpoint of many; without this each change
     * would keep a fresh copy of all of them alive until the slice's next change, seconds later, long
     * enough to reach the old generation at a thousand changes per second. Controllers keep endpoint order
     * stable, so matching by position finds them.
     */
    CachedSlice sharing(CachedSlice previous) {
        List<SliceEndpoint> before = previous.endpoints;
        List<SliceEndpoint> shared = new ArrayList<>(endpoints.size());
        for (int i = 0; i < endpoints.size(); i++) {
            SliceEndpoint e = endpoints.get(i);
            shared.add(i < before.size() && before.get(i).equals(e) ? before.get(i) : e);
        }
        // Same id, so the previous name strings serve; the new ones die young.
        return new CachedSlice(previous.namespace, previous.name, addressType,
                ports.equals(previous.ports) ? previous.ports : ports, shared);
    }

    /** The slice's port number for {@code spn}, matched by name and protocol; 0 when the slice has none. */
    int port(ServicePortName spn) {
        for (Port p : ports) {
            if (p.protocol == spn.protocol() && p.name.equals(spn.port())) {
                return p.port;
            }
        }
        return 0;
    }

    /** Drops ports that can match no Service port: without a number ("all ports"), or SCTP (not proxied). */
    private static List<Port> ports(List<DiscoveryV1EndpointPort> ports) {
        if (ports == null || ports.isEmpty()) {
            return List.of();
        }
        List<Port> out = new ArrayList<>(ports.size());
        for (DiscoveryV1EndpointPort p : ports) {
            String protocol = Objects.requireNonNullElse(p.getProtocol(), "TCP");
            if (p.getPort() != null && !"SCTP".equals(protocol)) {
                Protocol parsed = "UDP".equals(protocol) ? Protocol.UDP : Protocol.TCP;
                out.add(new Port(Objects.requireNonNullElse(p.getName(), ""), parsed, p.getPort()));
            }
        }
        return out;
    }

    /**
     * The endpoint as route building reads it: its first address only (kube-proxy's rule), conditions as
     * kube-proxy reads them (ready and serving unless false, terminating only if true).
     */
    private static SliceEndpoint endpoint(V1Endpoint endpoint) {
        V1EndpointConditions c = endpoint.getConditions();
        V1EndpointHints hints = endpoint.getHints();
        return SliceEndpoint.of(
                Addresses.parse(endpoint.getAddresses().get(0)),
                endpoint.getNodeName(),
                c == null || !Boolean.FALSE.equals(c.getReady()),
                c == null || !Boolean.FALSE.equals(c.getServing()),
                c != null && Boolean.TRUE.equals(c.getTerminating()),
                hints == null ? Set.of() : nodeNames(hints.getForNodes()),
                hints == null ? Set.of() : zoneNames(hints.getForZones()));
    }

    private static Set<String> nodeNames(List<V1ForNode> forNodes) {
        if (forNodes == null || forNodes.isEmpty()) {
            return Set.of();
        }
        List<String> names = new ArrayList<>(forNodes.size());
        for (V1ForNode n : forNodes) {
            names.add(n.getName());
        }
        return Set.copyOf(names);
    }

    private static Set<String> zoneNames(List<V1ForZone> forZones) {
        if (forZones == null || forZones.isEmpty()) {
            return Set.of();
        }
        List<String> names = new ArrayList<>(forZones.size());
        for (V1ForZone z : forZones) {
            names.add(z.getName());
        }
        return Set.copyOf(names);
    }
}
