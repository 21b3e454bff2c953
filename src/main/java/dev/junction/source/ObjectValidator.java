package dev.junction.source;

import dev.junction.model.Addresses;
import dev.junction.model.Cidr;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.openapi.models.DiscoveryV1EndpointPort;
import io.kubernetes.client.openapi.models.V1ClientIPConfig;
import io.kubernetes.client.openapi.models.V1Endpoint;
import io.kubernetes.client.openapi.models.V1EndpointHints;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1ForNode;
import io.kubernetes.client.openapi.models.V1ForZone;
import io.kubernetes.client.openapi.models.V1LoadBalancerIngress;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServicePort;
import io.kubernetes.client.openapi.models.V1ServiceSpec;
import io.kubernetes.client.openapi.models.V1ServiceStatus;
import io.kubernetes.client.openapi.models.V1SessionAffinityConfig;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Checks the fields of a {@code V1Service}, {@code V1EndpointSlice} or {@code V1Node} that the
 * control plane relies on, so that a bad object is refused at the source with a reason instead of
 * failing somewhere downstream. Each problem is one short line that starts with the field path,
 * e.g. {@code spec.ports[1].port: 70000 is out of range 1-65535}.
 *
 * <p>The single judge of those fields: what the API server's validation would refuse is refused here,
 * and the control plane trusts what passes. Sources skip a refused object and keep its last valid version.
 *
 * <p>Stateless and thread-safe; shared by every source.
 */
public final class ObjectValidator {

    private static final Set<String> PROTOCOLS = Set.of("TCP", "UDP", "SCTP");
    private static final Set<String> SESSION_AFFINITIES = Set.of("None", "ClientIP");
    private static final Set<String> ADDRESS_TYPES = Set.of("IPv4", "IPv6", "FQDN");
    private static final Set<String> IP_MODES = Set.of("VIP", "Proxy");
    private static final int MAX_AFFINITY_TIMEOUT_SECONDS = 86_400;

    /**
     * Returns the problems of {@code object}; an empty list means it is valid.
     *
     * @throws IllegalArgumentException when the object is not a Service, EndpointSlice or Node
     */
    public List<String> validate(KubernetesObject object) {
        List<String> problems = new ArrayList<>();
        checkName(object.getMetadata(), problems);
        if (object instanceof V1Service service) {
            checkService(service, problems);
        } else if (object instanceof V1EndpointSlice slice) {
            checkSlice(slice, problems);
        } else if (object instanceof V1Node node) {
            checkNode(node, problems);
        } else {
            throw new IllegalArgumentException("not a Service, EndpointSlice or Node: " + object.getClass().getName());
        }
        return List.copyOf(problems);
    }

    private static void checkName(V1ObjectMeta metadata, List<String> problems) {
        if (metadata == null || metadata.getName() == null || metadata.getName().isEmpty()) {
            problems.add("metadata.name: missing");
        }
    }

    private static void checkService(V1Service service, List<String> problems) {
        V1ServiceSpec spec = service.getSpec();
        if (spec == null) {
            problems.add("spec: missing");
            return;
        }
        checkClusterIps(spec, problems);
        List<V1ServicePort> ports = nonNull(spec.getPorts());
        if (ports.isEmpty() && !isHeadless(spec) && !"ExternalName".equals(spec.getType())) {
            problems.add("spec.ports: must not be empty (only headless and ExternalName Services may omit ports)");
        }
        // The first index of each port/protocol and nodePort/protocol: a frontend is declared once.
        Map<String, Integer> portsSeen = new HashMap<>();
        Map<String, Integer> nodePortsSeen = new HashMap<>();
        for (int i = 0; i < ports.size(); i++) {
            V1ServicePort port = ports.get(i);
            String path = "spec.ports[" + i + "]";
            if (port == null) {
                problems.add(path + ": missing");
                continue;
            }
            String protocol = port.getProtocol() == null ? "TCP" : port.getProtocol();
            if (port.getPort() == null) {
                problems.add(path + ".port: missing");
            } else {
                checkRange(path + ".port", port.getPort(), 1, 65_535, problems);
                checkUnique(path + ".port", port.getPort() + "/" + protocol, portsSeen, i, problems);
            }
            if (port.getNodePort() != null) {
                checkRange(path + ".nodePort", port.getNodePort(), 0, 65_535, problems);
                if (port.getNodePort() != 0) {
                    checkUnique(path + ".nodePort", port.getNodePort() + "/" + protocol, nodePortsSeen, i, problems);
                }
            }
            checkProtocol(path + ".protocol", port.getProtocol(), problems);
        }
        if (spec.getHealthCheckNodePort() != null) {
            checkRange("spec.healthCheckNodePort", spec.getHealthCheckNodePort(), 0, 65_535, problems);
        }
        List<String> externalIps = nonNull(spec.getExternalIPs());
        for (int i = 0; i < externalIps.size(); i++) {
            checkIp("spec.externalIPs[" + i + "]", externalIps.get(i), problems);
        }
        // A range that cannot be read must not silently widen who may use the LoadBalancer IPs.
        List<String> ranges = nonNull(spec.getLoadBalancerSourceRanges());
        for (int i = 0; i < ranges.size(); i++) {
            try {
                Cidr.parse(ranges.get(i));
            } catch (IllegalArgumentException e) {
                problems.add("spec.loadBalancerSourceRanges[" + i + "]: " + e.getMessage());
            }
        }
        checkAffinity(spec, problems);
        checkIngress(service.getStatus(), problems);
    }

    /**
     * The pod CIDRs decide which clients count as this node's pods (NodeCIDR local detection): as the API
     * server, each a prefix, at most one per IP family.
     */
    private static void checkNode(V1Node node, List<String> problems) {
        List<String> podCidrs = node.getSpec() == null ? List.of() : nonNull(node.getSpec().getPodCIDRs());
        List<Cidr> parsed = new ArrayList<>();
        for (int i = 0; i < podCidrs.size(); i++) {
            try {
                parsed.add(Cidr.parse(podCidrs.get(i)));
            } catch (IllegalArgumentException e) {
                problems.add("spec.podCIDRs[" + i + "]: " + e.getMessage());
            }
        }
        if (parsed.size() > 2 || parsed.size() == 2 && parsed.get(0).isIpv4() == parsed.get(1).isIpv4()) {
            problems.add("spec.podCIDRs: at most one CIDR per IP family, got " + podCidrs);
        }
    }

    private static boolean isHeadless(V1ServiceSpec spec) {
        List<String> clusterIps = nonNull(spec.getClusterIPs());
        return "None".equals(spec.getClusterIP()) || (!clusterIps.isEmpty() && "None".equals(clusterIps.get(0)));
    }

    /**
     * As the API server: the primary may be "" (what a manifest without an allocator means by "no cluster
     * IP", which kube-proxy skips), "None" or an IP; {@code clusterIPs[0]} is the primary again and every
     * later entry is an IP.
     */
    private static void checkClusterIps(V1ServiceSpec spec, List<String> problems) {
        String clusterIp = spec.getClusterIP();
        checkPrimaryClusterIp("spec.clusterIP", clusterIp, problems);
        List<String> clusterIps = nonNull(spec.getClusterIPs());
        for (int i = 0; i < clusterIps.size(); i++) {
            String path = "spec.clusterIPs[" + i + "]";
            if (i > 0) {
                checkIp(path, clusterIps.get(i), problems);
            } else if (clusterIp != null && !clusterIp.isEmpty() && !clusterIp.equals(clusterIps.get(0))) {
                problems.add(path + ": \"" + clusterIps.get(0) + "\" must equal spec.clusterIP \"" + clusterIp + '"');
            } else {
                checkPrimaryClusterIp(path, clusterIps.get(0), problems);
            }
        }
    }

    private static void checkPrimaryClusterIp(String path, String value, List<String> problems) {
        if (value != null && !value.isEmpty() && !"None".equals(value)) {
            checkIp(path, value, problems);
        }
    }

    private static void checkUnique(
            String path, String value, Map<String, Integer> seen, int index, List<String> problems) {
        Integer first = seen.putIfAbsent(value, index);
        if (first != null) {
            problems.add(path + ": " + value + " is already used by spec.ports[" + first + "]");
        }
    }

    private static void checkAffinity(V1ServiceSpec spec, List<String> problems) {
        String affinity = spec.getSessionAffinity();
        if (affinity != null && !SESSION_AFFINITIES.contains(affinity)) {
            problems.add("spec.sessionAffinity: unsupported value \"" + affinity + "\" (None or ClientIP)");
        }
        V1SessionAffinityConfig config = spec.getSessionAffinityConfig();
        V1ClientIPConfig clientIp = config == null ? null : config.getClientIP();
        if (clientIp != null && clientIp.getTimeoutSeconds() != null) {
            checkRange("spec.sessionAffinityConfig.clientIP.timeoutSeconds", clientIp.getTimeoutSeconds(),
                    1, MAX_AFFINITY_TIMEOUT_SECONDS, problems);
        }
    }

    private static void checkIngress(V1ServiceStatus status, List<String> problems) {
        if (status == null || status.getLoadBalancer() == null) {
            return;
        }
        List<V1LoadBalancerIngress> ingress = nonNull(status.getLoadBalancer().getIngress());
        for (int i = 0; i < ingress.size(); i++) {
            String path = "status.loadBalancer.ingress[" + i + "]";
            if (ingress.get(i) == null) {
                problems.add(path + ": missing");
                continue;
            }
            // An empty ip is an unset one (a hostname-only ingress), as the API server reads it.
            String ip = ingress.get(i).getIp();
            boolean hasIp = ip != null && !ip.isEmpty();
            if (hasIp) {
                checkIp(path + ".ip", ip, problems);
            }
            String ipMode = ingress.get(i).getIpMode();
            if (ipMode != null && !hasIp) {
                problems.add(path + ".ipMode: may be set only with an ip");
            } else if (ipMode != null && !IP_MODES.contains(ipMode)) {
                problems.add(path + ".ipMode: unsupported value \"" + ipMode + "\" (VIP or Proxy)");
            }
        }
    }

    private static void checkSlice(V1EndpointSlice slice, List<String> problems) {
        String addressType = slice.getAddressType();
        if (addressType == null) {
            problems.add("addressType: missing");
        } else if (!ADDRESS_TYPES.contains(addressType)) {
            problems.add("addressType: unsupported value \"" + addressType + "\" (IPv4, IPv6 or FQDN)");
        }
        List<V1Endpoint> endpoints = nonNull(slice.getEndpoints());
        for (int i = 0; i < endpoints.size(); i++) {
            if (endpoints.get(i) == null) {
                problems.add("endpoints[" + i + "]: missing");
                continue;
            }
            V1Endpoint endpoint = endpoints.get(i);
            List<String> addresses = nonNull(endpoint.getAddresses());
            // kube-proxy reads addresses[0] of every endpoint, so an empty list is not harmless.
            if (addresses.isEmpty()) {
                problems.add("endpoints[" + i + "].addresses: must not be empty");
            }
            if ("IPv4".equals(addressType) || "IPv6".equals(addressType)) {
                for (int j = 0; j < addresses.size(); j++) {
                    checkFamily("endpoints[" + i + "].addresses[" + j + "]", addresses.get(j), addressType, problems);
                }
            }
            checkHints("endpoints[" + i + "].hints", endpoint.getHints(), problems);
        }
        List<DiscoveryV1EndpointPort> ports = nonNull(slice.getPorts());
        for (int i = 0; i < ports.size(); i++) {
            DiscoveryV1EndpointPort port = ports.get(i);
            if (port == null) {
                problems.add("ports[" + i + "]: missing");
                continue;
            }
            // A nil port is legal in the API ("all ports"); kube-proxy ignores such a port.
            if (port.getPort() != null) {
                checkRange("ports[" + i + "].port", port.getPort(), 1, 65_535, problems);
            }
            checkProtocol("ports[" + i + "].protocol", port.getProtocol(), problems);
        }
    }

    private static void checkFamily(String path, String address, String addressType, List<String> problems) {
        InetAddress parsed = checkIp(path, address, problems);
        if (parsed == null) {
            return;
        }
        // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is of neither family: Java parses it as IPv4 and the
        // API server's IPv6 check refuses it. So the text and the parsed address must both be of the family.
        boolean v6 = "IPv6".equals(addressType);
        if ((address.indexOf(':') >= 0) != v6 || (parsed instanceof Inet6Address) != v6) {
            problems.add(path + ": \"" + address + "\" is not an " + addressType + " address");
        }
    }

    private static void checkHints(String path, V1EndpointHints hints, List<String> problems) {
        if (hints != null) {
            checkHintNames(path + ".forNodes", nonNull(hints.getForNodes()), V1ForNode::getName, problems);
            checkHintNames(path + ".forZones", nonNull(hints.getForZones()), V1ForZone::getName, problems);
        }
    }

    private static <T> void checkHintNames(String path, List<T> hints, Function<T, String> name, List<String> problems) {
        for (int i = 0; i < hints.size(); i++) {
            if (hints.get(i) == null) {
                problems.add(path + "[" + i + "]: missing");
            } else if (name.apply(hints.get(i)) == null) {
                problems.add(path + "[" + i + "].name: missing");
            }
        }
    }

    /** The parsed address, or null after recording why {@code value} is not one. */
    private static InetAddress checkIp(String path, String value, List<String> problems) {
        try {
            return Addresses.parse(value);
        } catch (IllegalArgumentException e) {
            problems.add(path + ": invalid IP address \"" + value + '"');
            return null;
        }
    }

    private static void checkRange(String path, int value, int min, int max, List<String> problems) {
        if (value < min || value > max) {
            problems.add(path + ": " + value + " is out of range " + min + '-' + max);
        }
    }

    private static void checkProtocol(String path, String protocol, List<String> problems) {
        if (protocol != null && !PROTOCOLS.contains(protocol)) {
            problems.add(path + ": unsupported protocol \"" + protocol + "\" (TCP, UDP or SCTP)");
        }
    }

    private static <T> List<T> nonNull(List<T> list) {
        return list == null ? List.of() : list;
    }
}
