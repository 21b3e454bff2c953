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
 * failing somewhere downstream. Each problem is one short line that starts with the field path and
 * names the value, e.g. {@code spec.ports[1].port: 70000 is out of range 1-65535}.
 *
 * <p>The single judge of those fields: what the API server's validation (kube-apiserver's
 * {@code pkg/apis/core/validation} and {@code pkg/apis/discovery/validation}, on defaulted objects) would
 * refuse is refused here, and the control plane trusts what passes. Fields the API server defaults may be
 * absent. Two deliberate differences: no Service virtual IP may be the unspecified address, which would
 * make Junction listen on every address of the node; and {@link #allowingLoopbackEndpoints()} lets endpoints
 * be loopback addresses, for a proxy and its backends on one host. Sources skip a refused object and keep its
 * last valid version.
 *
 * <p>Immutable and thread-safe.
 */
public final class ObjectValidator {

    private static final Set<String> PROTOCOLS = Set.of("TCP", "UDP", "SCTP");
    private static final List<String> SERVICE_TYPES = List.of("ClusterIP", "NodePort", "LoadBalancer", "ExternalName");
    private static final List<String> TRAFFIC_POLICIES = List.of("Cluster", "Local");
    private static final List<String> SESSION_AFFINITIES = List.of("None", "ClientIP");
    private static final List<String> IP_FAMILIES = List.of("IPv4", "IPv6");
    private static final List<String> IP_FAMILY_POLICIES = List.of("SingleStack", "PreferDualStack", "RequireDualStack");
    private static final List<String> ADDRESS_TYPES = List.of("IPv4", "IPv6", "FQDN");
    private static final List<String> IP_MODES = List.of("VIP", "Proxy");
    private static final int MAX_AFFINITY_TIMEOUT_SECONDS = 86_400;
    /** Longer values are shown cut: a problem line names the value, it need not carry a megabyte of it. */
    private static final int MAX_SHOWN_CHARS = 100;

    private final boolean loopbackEndpoints;

    private ObjectValidator(boolean loopbackEndpoints) {
        this.loopbackEndpoints = loopbackEndpoints;
    }

    /** The API server's rules: for objects read from an API server. */
    public static ObjectValidator apiServer() {
        return new ObjectValidator(false);
    }

    /**
     * The API server's rules, except that an EndpointSlice's endpoints may be loopback addresses: for a proxy
     * and its backends on one host (manifests in standalone use and the demo), where no API server is asked.
     */
    public static ObjectValidator allowingLoopbackEndpoints() {
        return new ObjectValidator(true);
    }

    /**
     * Returns the problems of {@code object}; an empty list means it is valid.
     *
     * @throws IllegalArgumentException when the object is not a Service, EndpointSlice or Node
     */
    public List<String> validate(KubernetesObject object) {
        List<String> problems = new ArrayList<>();
        V1ObjectMeta metadata = object.getMetadata();
        if (object instanceof V1Service service) {
            checkMetadata(metadata, KubeNames::dns1035Label, true, problems);
            checkService(service, problems);
        } else if (object instanceof V1EndpointSlice slice) {
            checkMetadata(metadata, KubeNames::dns1123Subdomain, true, problems);
            checkSlice(slice, problems);
        } else if (object instanceof V1Node node) {
            checkMetadata(metadata, KubeNames::dns1123Subdomain, false, problems);
            checkNode(node, problems);
        } else {
            throw new IllegalArgumentException("not a Service, EndpointSlice or Node: " + object.getClass().getName());
        }
        return List.copyOf(problems);
    }

    /**
     * As the API server's ValidateObjectMeta: the name by the kind's rule (a DNS-1035 label for Services, a
     * DNS-1123 subdomain for EndpointSlices and Nodes), the namespace a DNS-1123 label, every label's key a
     * qualified name and its value a label value. Junction reads names in routes and logs, and labels to
     * pick Services and match slices to them.
     */
    private static void checkMetadata(V1ObjectMeta metadata, Function<String, List<String>> nameRule,
            boolean namespaced, List<String> problems) {
        if (metadata == null || metadata.getName() == null || metadata.getName().isEmpty()) {
            problems.add("metadata.name: missing");
            return;
        }
        checkSyntax("metadata.name", metadata.getName(), nameRule, problems);
        String namespace = metadata.getNamespace();
        if (namespaced && namespace != null && !namespace.isEmpty()) {
            checkSyntax("metadata.namespace", namespace, KubeNames::dns1123Label, problems);
        }
        Map<String, String> labels = metadata.getLabels() == null ? Map.of() : metadata.getLabels();
        labels.forEach((key, value) -> {
            for (String reason : KubeNames.qualifiedName(key)) {
                problems.add("metadata.labels: key " + shown(key) + " is invalid: " + reason);
            }
            // A null value is what an empty one decodes to in the API server.
            String text = value == null ? "" : value;
            List<String> reasons = KubeNames.labelValue(text);
            // The path is built only for a problem: every change of the watch passes here.
            if (!reasons.isEmpty()) {
                addReasons("metadata.labels[" + shown(key) + ']', text, reasons, problems);
            }
        });
    }

    /** One problem per reason {@code value} breaks {@code rule}. */
    private static void checkSyntax(String path, String value, Function<String, List<String>> rule,
            List<String> problems) {
        addReasons(path, value, rule.apply(value), problems);
    }

    private static void addReasons(String path, String value, List<String> reasons, List<String> problems) {
        for (String reason : reasons) {
            problems.add(path + ": " + shown(value) + " is invalid: " + reason);
        }
    }

    /** The value quoted, cut when long. Line breaks stay as they are: the log formats escape them. */
    private static String shown(String value) {
        if (value.length() <= MAX_SHOWN_CHARS) {
            return '"' + value + '"';
        }
        return '"' + value.substring(0, MAX_SHOWN_CHARS) + "\"... (" + value.length() + " characters)";
    }

    /** An unsupported enum value: {@code path: unsupported value "x" (A, B or C)}. */
    private static void checkValue(String path, String value, List<String> allowed, List<String> problems) {
        if (!allowed.contains(value)) {
            String last = allowed.get(allowed.size() - 1);
            String choices = String.join(", ", allowed.subList(0, allowed.size() - 1)) + " or " + last;
            problems.add(path + ": unsupported value " + shown(value) + " (" + choices + ')');
        }
    }

    /** Checks an enum the API server defaults when it is absent or empty. */
    private static void checkDefaulted(String path, String value, List<String> allowed, List<String> problems) {
        if (value != null && !value.isEmpty()) {
            checkValue(path, value, allowed, problems);
        }
    }

    private static void checkService(V1Service service, List<String> problems) {
        V1ServiceSpec spec = service.getSpec();
        if (spec == null) {
            problems.add("spec: missing");
            return;
        }
        checkDefaulted("spec.type", spec.getType(), SERVICE_TYPES, problems);
        // Absent is defaulted; present, even empty, must be one of the values.
        if (spec.getInternalTrafficPolicy() != null) {
            checkValue("spec.internalTrafficPolicy", spec.getInternalTrafficPolicy(), TRAFFIC_POLICIES, problems);
        }
        checkDefaulted("spec.externalTrafficPolicy", spec.getExternalTrafficPolicy(), TRAFFIC_POLICIES, problems);
        if (spec.getIpFamilyPolicy() != null) {
            checkValue("spec.ipFamilyPolicy", spec.getIpFamilyPolicy(), IP_FAMILY_POLICIES, problems);
        }
        checkIpFamilies(nonNull(spec.getIpFamilies()), problems);
        checkClusterIps(spec, problems);
        boolean clusterIpType = spec.getType() == null || spec.getType().isEmpty() || "ClusterIP".equals(spec.getType());
        if (isHeadless(spec) && ("NodePort".equals(spec.getType()) || "LoadBalancer".equals(spec.getType()))) {
            problems.add("spec.clusterIP: may not be \"None\" for " + spec.getType() + " Services");
        }
        List<V1ServicePort> ports = nonNull(spec.getPorts());
        if (ports.isEmpty() && !isHeadless(spec) && !"ExternalName".equals(spec.getType())) {
            problems.add("spec.ports: must not be empty (only headless and ExternalName Services may omit ports)");
        }
        // The first index of each port/protocol, nodePort/protocol and name: a frontend is declared once, and a
        // port's name is its key in routes and metrics.
        Map<String, Integer> portsSeen = new HashMap<>();
        Map<String, Integer> nodePortsSeen = new HashMap<>();
        Map<String, Integer> namesSeen = new HashMap<>();
        for (int i = 0; i < ports.size(); i++) {
            V1ServicePort port = ports.get(i);
            String path = "spec.ports[" + i + "]";
            if (port == null) {
                problems.add(path + ": missing");
                continue;
            }
            checkPortName(path + ".name", port.getName(), ports.size() > 1, namesSeen, i, problems);
            String protocol = port.getProtocol() == null ? "TCP" : port.getProtocol();
            if (port.getPort() == null) {
                problems.add(path + ".port: missing");
            } else {
                checkRange(path + ".port", port.getPort(), 1, 65_535, problems);
                checkUnique(path + ".port", port.getPort() + "/" + protocol, portsSeen, i, problems);
            }
            Integer nodePort = port.getNodePort();
            if (nodePort != null && (nodePort < 0 || nodePort > 65_535)) {
                checkRange(path + ".nodePort", nodePort, 0, 65_535, problems);
            } else if (nodePort != null && nodePort != 0 && clusterIpType) {
                // Junction would open it on every node address, as for a NodePort Service.
                problems.add(path + ".nodePort: " + nodePort + " may not be used when type is ClusterIP");
            } else if (nodePort != null && nodePort != 0) {
                checkUnique(path + ".nodePort", nodePort + "/" + protocol, nodePortsSeen, i, problems);
            }
            checkProtocol(path + ".protocol", port.getProtocol(), problems);
        }
        if (spec.getHealthCheckNodePort() != null) {
            checkRange("spec.healthCheckNodePort", spec.getHealthCheckNodePort(), 0, 65_535, problems);
        }
        List<String> externalIps = nonNull(spec.getExternalIPs());
        for (int i = 0; i < externalIps.size(); i++) {
            InetAddress ip = checkIp("spec.externalIPs[" + i + "]", externalIps.get(i), problems);
            if (ip != null) {
                checkNonSpecial("spec.externalIPs[" + i + "]", externalIps.get(i), ip, false, problems);
            }
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

    /**
     * As the API server: a DNS-1123 label, unique within the Service, and required when the Service has more
     * than one port; an absent name is the empty one.
     */
    private static void checkPortName(String path, String name, boolean required, Map<String, Integer> seen,
            int index, List<String> problems) {
        String value = name == null ? "" : name;
        if (value.isEmpty() && required) {
            problems.add(path + ": missing (every port of a Service with more than one port needs a name)");
            return;
        }
        if (!value.isEmpty()) {
            checkSyntax(path, value, KubeNames::dns1123Label, problems);
        }
        Integer first = seen.putIfAbsent(value, index);
        if (first != null) {
            problems.add(path + ": " + shown(value) + " is already used by " + path.substring(0, path.indexOf('['))
                    + '[' + first + ']');
        }
    }

    private static void checkIpFamilies(List<String> families, List<String> problems) {
        for (int i = 0; i < families.size(); i++) {
            String path = "spec.ipFamilies[" + i + "]";
            String family = families.get(i);
            if (family == null) {
                problems.add(path + ": missing");
            } else if (families.indexOf(family) < i) {
                problems.add(path + ": " + shown(family) + " is already spec.ipFamilies[" + families.indexOf(family) + ']');
            } else {
                checkValue(path, family, IP_FAMILIES, problems);
            }
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
        int before = problems.size();
        for (int i = 0; i < clusterIps.size(); i++) {
            String path = "spec.clusterIPs[" + i + "]";
            if (i > 0) {
                checkVirtualIp(path, clusterIps.get(i), problems);
            } else if (clusterIp != null && !clusterIp.isEmpty() && !clusterIp.equals(clusterIps.get(0))) {
                problems.add(path + ": \"" + clusterIps.get(0) + "\" must equal spec.clusterIP \"" + clusterIp + '"');
            } else {
                checkPrimaryClusterIp(path, clusterIps.get(0), problems);
            }
        }
        if (problems.size() > before || clusterIps.size() < 2) {
            return;
        }
        String primary = clusterIps.get(0);
        if (primary == null || primary.isEmpty() || "None".equals(primary)) {
            problems.add("spec.clusterIPs: " + clusterIps + " may hold \"None\" or \"\" only as its single value");
        } else if (clusterIps.size() > 2 || isIpv6(primary) == isIpv6(clusterIps.get(1))) {
            // Junction listens on every cluster IP: the API server allows one per family.
            problems.add("spec.clusterIPs: " + clusterIps + " may hold no more than one IP for each IP family");
        }
    }

    private static boolean isIpv6(String address) {
        return Addresses.parse(address) instanceof Inet6Address;
    }

    private static void checkPrimaryClusterIp(String path, String value, List<String> problems) {
        if (value != null && !value.isEmpty() && !"None".equals(value)) {
            checkVirtualIp(path, value, problems);
        }
    }

    /**
     * A cluster or load balancer IP. The API server's allocator never hands out the unspecified address (it is
     * the network address of any range), and the ingress of a load balancer status is not checked there at
     * all; either way Junction would bind the wildcard address, take the port on every node address and break
     * the Services that listen there.
     */
    private static void checkVirtualIp(String path, String value, List<String> problems) {
        InetAddress ip = checkIp(path, value, problems);
        if (ip != null && ip.isAnyLocalAddress()) {
            problems.add(path + ": " + shown(value) + " may not be unspecified (0.0.0.0, ::)");
        }
    }

    /**
     * As the API server's ValidateNonSpecialIP (for externalIPs and endpoint addresses): not unspecified, not
     * loopback unless {@code loopbackAllowed}, not link-local unicast or multicast. A loopback endpoint would
     * let a remote client reach what listens only on the node's loopback (Junction's admin port among it);
     * link-local addresses are node-centric (cloud metadata services).
     */
    private static void checkNonSpecial(
            String path, String value, InetAddress ip, boolean loopbackAllowed, List<String> problems) {
        String reason = specialReason(ip, loopbackAllowed);
        if (reason != null) {
            problems.add(path + ": " + shown(value) + ' ' + reason);
        }
    }

    /** Why {@code ip} may not be used, or null when it may. */
    private static String specialReason(InetAddress ip, boolean loopbackAllowed) {
        String reason = null;
        if (ip.isAnyLocalAddress()) {
            reason = "may not be unspecified (0.0.0.0, ::)";
        } else if (ip.isLoopbackAddress() && !loopbackAllowed) {
            reason = "may not be in the loopback range (127.0.0.0/8, ::1/128)";
        } else if (ip.isLinkLocalAddress()) {
            reason = "may not be in the link-local range (169.254.0.0/16, fe80::/10)";
        } else if (ip.isMCLinkLocal()) {
            reason = "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)";
        }
        return reason;
    }

    private static void checkUnique(
            String path, String value, Map<String, Integer> seen, int index, List<String> problems) {
        Integer first = seen.putIfAbsent(value, index);
        if (first != null) {
            problems.add(path + ": " + value + " is already used by spec.ports[" + first + "]");
        }
    }

    private static void checkAffinity(V1ServiceSpec spec, List<String> problems) {
        checkDefaulted("spec.sessionAffinity", spec.getSessionAffinity(), SESSION_AFFINITIES, problems);
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
                checkVirtualIp(path + ".ip", ip, problems);
            }
            String ipMode = ingress.get(i).getIpMode();
            if (ipMode != null && !hasIp) {
                problems.add(path + ".ipMode: may be set only with an ip");
            } else if (ipMode != null) {
                checkValue(path + ".ipMode", ipMode, IP_MODES, problems);
            }
        }
    }

    private void checkSlice(V1EndpointSlice slice, List<String> problems) {
        String addressType = slice.getAddressType();
        if (addressType == null) {
            problems.add("addressType: missing");
        } else {
            checkValue("addressType", addressType, ADDRESS_TYPES, problems);
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
                    // Every endpoint of every change passes here: a valid address costs no path string.
                    if (!isValidEndpointAddress(addresses.get(j), addressType)) {
                        String path = "endpoints[" + i + "].addresses[" + j + "]";
                        InetAddress ip = checkFamily(path, addresses.get(j), addressType, problems);
                        if (ip != null) {
                            checkNonSpecial(path, addresses.get(j), ip, loopbackEndpoints, problems);
                        }
                    }
                }
            }
            if (endpoint.getNodeName() != null) {
                List<String> reasons = KubeNames.dns1123Subdomain(endpoint.getNodeName());
                if (!reasons.isEmpty()) {
                    addReasons("endpoints[" + i + "].nodeName", endpoint.getNodeName(), reasons, problems);
                }
            }
            if (endpoint.getHints() != null) {
                checkHints("endpoints[" + i + "].hints", endpoint.getHints(), problems);
            }
        }
        List<DiscoveryV1EndpointPort> ports = nonNull(slice.getPorts());
        Map<String, Integer> namesSeen = new HashMap<>();
        for (int i = 0; i < ports.size(); i++) {
            DiscoveryV1EndpointPort port = ports.get(i);
            if (port == null) {
                problems.add("ports[" + i + "]: missing");
                continue;
            }
            checkPortName("ports[" + i + "].name", port.getName(), false, namesSeen, i, problems);
            // A nil port is legal in the API ("all ports"); kube-proxy ignores such a port.
            if (port.getPort() != null) {
                checkRange("ports[" + i + "].port", port.getPort(), 1, 65_535, problems);
            }
            checkProtocol("ports[" + i + "].protocol", port.getProtocol(), problems);
        }
    }

    /** What {@link #checkFamily} and {@link #checkNonSpecial} accept, found without recording anything. */
    private boolean isValidEndpointAddress(String address, String addressType) {
        if (address.indexOf(':') < 0) {
            // A dotted quad, so an IPv4 address: Inet4Address's tests read from its number, so the common case
            // builds no address object.
            long bits = Addresses.parseV4Bits(address);
            long first = bits >>> 24;
            boolean loopback = first == 127;
            boolean linkLocal = bits >>> 16 == 0xA9FE;
            boolean multicastLinkLocal = bits >>> 8 == 0xE00000;
            return bits > 0 && "IPv4".equals(addressType) && (loopbackEndpoints || !loopback) && !linkLocal
                    && !multicastLinkLocal;
        }
        InetAddress parsed;
        try {
            parsed = Addresses.parse(address);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return isOfFamily(address, parsed, addressType) && specialReason(parsed, loopbackEndpoints) == null;
    }

    /** The parsed address when it is one of {@code addressType}, else null after recording why not. */
    private static InetAddress checkFamily(String path, String address, String addressType, List<String> problems) {
        InetAddress parsed = checkIp(path, address, problems);
        if (parsed == null) {
            return null;
        }
        if (!isOfFamily(address, parsed, addressType)) {
            problems.add(path + ": \"" + address + "\" is not an " + addressType + " address");
            return null;
        }
        return parsed;
    }

    private static boolean isOfFamily(String address, InetAddress parsed, String addressType) {
        // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is of neither family: Java parses it as IPv4 and the
        // API server's IPv6 check refuses it. So the text and the parsed address must both be of the family.
        boolean v6 = "IPv6".equals(addressType);
        return (address.indexOf(':') >= 0) == v6 && (parsed instanceof Inet6Address) == v6;
    }

    /** Zones are named as label values, nodes as Nodes are; each hint once. */
    private static void checkHints(String path, V1EndpointHints hints, List<String> problems) {
        if (hints != null) {
            checkHintNames(path + ".forNodes", nonNull(hints.getForNodes()), V1ForNode::getName,
                    KubeNames::dns1123Subdomain, problems);
            checkHintNames(path + ".forZones", nonNull(hints.getForZones()), V1ForZone::getName,
                    KubeNames::labelValue, problems);
        }
    }

    private static <T> void checkHintNames(String path, List<T> hints, Function<T, String> name,
            Function<String, List<String>> rule, List<String> problems) {
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < hints.size(); i++) {
            String hintPath = path + "[" + i + "]";
            String value = hints.get(i) == null ? null : name.apply(hints.get(i));
            if (hints.get(i) == null) {
                problems.add(hintPath + ": missing");
            } else if (value == null) {
                problems.add(hintPath + ".name: missing");
            } else if (seen.putIfAbsent(value, i) != null) {
                problems.add(hintPath + ".name: " + shown(value) + " is already " + path + '[' + seen.get(value) + "].name");
            } else {
                checkSyntax(hintPath + ".name", value, rule, problems);
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
