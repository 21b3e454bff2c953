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
        return of(slice, null);
    }

    /**
     * {@code slice} as a new version of {@code previous} (same namespace and name; null when there is none),
     * with every endpoint that is unchanged from it (same position, equal) the previous instance, found
     * before its address is built, and the previous names and ports when equal. A change usually touches
     * one endpoint of many; without this each change would build, then keep alive until the slice's next
     * change, seconds later, a fresh copy of all of them: long enough to reach the old generation at a
     * thousand changes per second. Controllers keep endpoint order stable, so matching by position finds
     * them.
     */
    static CachedSlice of(V1EndpointSlice slice, CachedSlice previous) {
        V1ObjectMeta meta = slice.getMetadata();
        String namespace = Objects.requireNonNullElse(meta.getNamespace(), "");
        String name = meta.getName();
        // The shared constants, not the decoded strings, so a held slice does not keep its own copy.
        String addressType = IPV4.equals(slice.getAddressType()) ? IPV4
                : IPV6.equals(slice.getAddressType()) ? IPV6 : slice.getAddressType();
        List<SliceEndpoint> endpoints = List.of();
        // FQDN slices are never merged, so their endpoints are not kept.
        if ((IPV4.equals(addressType) || IPV6.equals(addressType)) && slice.getEndpoints() != null) {
            List<SliceEndpoint> before = previous == null ? List.of() : previous.endpoints;
            endpoints = new ArrayList<>(slice.getEndpoints().size());
            for (V1Endpoint endpoint : slice.getEndpoints()) {
                int i = endpoints.size();
                endpoints.add(endpoint(endpoint, i < before.size() ? before.get(i) : null));
            }
        }
        List<Port> ports = ports(slice.getPorts());
        if (previous == null) {
            return new CachedSlice(namespace, name, addressType, ports, endpoints);
        }
        // Same id, so the previous name strings serve; the new ones die young.
        return new CachedSlice(previous.namespace, previous.name, addressType,
                ports.equals(previous.ports) ? previous.ports : ports, endpoints);
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
     * kube-proxy reads them (ready and serving unless false, terminating only if true); {@code previous}
     * itself when equal to it.
     */
    private static SliceEndpoint endpoint(V1Endpoint endpoint, SliceEndpoint previous) {
        V1EndpointConditions c = endpoint.getConditions();
        V1EndpointHints hints = endpoint.getHints();
        String text = endpoint.getAddresses().get(0);
        boolean ready = c == null || !Boolean.FALSE.equals(c.getReady());
        boolean serving = c == null || !Boolean.FALSE.equals(c.getServing());
        boolean terminating = c != null && Boolean.TRUE.equals(c.getTerminating());
        Set<String> nodeHints = hints == null ? Set.of() : nodeNames(hints.getForNodes());
        Set<String> zoneHints = hints == null ? Set.of() : zoneNames(hints.getForZones());
        if (previous != null && previous.hasAddress(text)
                && Objects.equals(previous.nodeName(), endpoint.getNodeName()) && previous.ready() == ready
                && previous.serving() == serving && previous.terminating() == terminating
                && previous.nodeHints().equals(nodeHints) && previous.zoneHints().equals(zoneHints)) {
            return previous;
        }
        return SliceEndpoint.of(Addresses.parse(text), endpoint.getNodeName(), ready, serving, terminating, nodeHints,
                zoneHints);
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
