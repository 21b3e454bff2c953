package dev.junction.control;

import dev.junction.control.EndpointFilter.Candidate;
import dev.junction.model.Addresses;
import dev.junction.model.Cidr;
import dev.junction.model.CidrSet;
import dev.junction.model.Endpoint;
import dev.junction.model.Frontend;
import dev.junction.model.FrontendKind;
import dev.junction.model.LbPolicy;
import dev.junction.model.Protocol;
import dev.junction.model.ProxyProtocol;
import dev.junction.model.ServicePortName;
import dev.junction.model.ServiceRoute;
import dev.junction.model.ShortCircuit;
import dev.junction.source.ServiceProxyLabels;
import io.kubernetes.client.openapi.models.V1LoadBalancerIngress;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServicePort;
import io.kubernetes.client.openapi.models.V1ServiceSpec;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Turns one Service and its EndpointSlices into the route of every frontend it exposes, with kube-proxy's
 * semantics: skipped Services, per-family frontends, slice merge and de-duplication, traffic policies,
 * session affinity. Its input passed {@code source.ObjectValidator}, so it reads fields as valid and only
 * decides what kube-proxy decides. Pure: equal inputs give equal maps, which lets the caller skip
 * republishing. Stateless; called in the control context.
 */
final class RouteBuilder {

    static final String ANNOTATION_PREFIX = "junction.dev/";
    static final String LB_ANNOTATION = ANNOTATION_PREFIX + "lb";
    static final String PROXY_PROTOCOL_ANNOTATION = ANNOTATION_PREFIX + "proxy-protocol";
    static final int DEFAULT_AFFINITY_SECONDS = 10800;

    // Same order for equal inputs whatever the slice order, so equal routes compare equal. By address, then
    // port; the address keys are precomputed in SliceEndpoint so comparing copies no address bytes.
    private static final Comparator<Candidate> ENDPOINT_ORDER = (a, b) -> {
        int byAddress = a.source().compareAddress(b.source());
        return byAddress != 0 ? byAddress : Integer.compare(a.endpoint().port(), b.endpoint().port());
    };

    private final V1Service service;
    private final V1ServiceSpec spec;
    private final ServiceKey id;
    private final Collection<CachedSlice> slices;
    private final NodeInfo node;
    // A set, so a reason found once per port or per family is still reported once.
    private final Set<String> problems = new LinkedHashSet<>();
    /** Counted by {@link #routes} from the endpoints it categorizes anyway; see {@link NoLocalEndpoints}. */
    private int internalWithoutLocal;
    private int externalWithoutLocal;

    private RouteBuilder(V1Service service, Collection<CachedSlice> slices, NodeInfo node) {
        this.service = service;
        this.spec = service.getSpec();
        this.id = ServiceKey.of(service.getMetadata());
        this.slices = slices;
        this.node = node;
    }

    /**
     * The route of every frontend of {@code svc}; empty for a Service kube-proxy skips. {@code slices} are
     * the slices labelled with this Service's name. What is not proxied (an SCTP port, an address of a family
     * the Service has no ClusterIP of, a frontend declared twice, an unknown Junction annotation value) is
     * reported to {@code problems} as single lines naming the object.
     */
    static Map<Frontend, ServiceRoute> build(
            V1Service svc, Collection<CachedSlice> slices, NodeInfo node, LbPolicy defaultPolicy,
            Consumer<String> problems) {
        return rebuild(svc, slices, node, defaultPolicy, problems).routes();
    }

    /** {@link #build}, with what the same pass found for kube-proxy's no-local-endpoints series. */
    static Built rebuild(
            V1Service svc, Collection<CachedSlice> slices, NodeInfo node, LbPolicy defaultPolicy,
            Consumer<String> problems) {
        RouteBuilder builder = new RouteBuilder(svc, slices, node);
        Map<Frontend, ServiceRoute> routes = builder.routes(defaultPolicy);
        builder.problems.forEach(problems);
        return new Built(routes, new NoLocalEndpoints(builder.internalWithoutLocal, builder.externalWithoutLocal));
    }

    /** The routes of one Service, and its service ports without a local endpoint. */
    record Built(Map<Frontend, ServiceRoute> routes, NoLocalEndpoints noLocalEndpoints) {
    }

    /**
     * How many of a Service's service ports (each family counted apart, as kube-proxy's per-family proxiers
     * do) have a Local internal / external traffic policy and endpoints, but none usable on this node: what
     * kube-proxy's {@code kubeproxy_sync_proxy_rules_no_local_endpoints_total} counts. External counts only a
     * port reachable from outside (a NodePort, an externalIP or a load balancer IP).
     */
    record NoLocalEndpoints(int internal, int external) {
        static final NoLocalEndpoints NONE = new NoLocalEndpoints(0, 0);
    }

    private Map<Frontend, ServiceRoute> routes(LbPolicy defaultPolicy) {
        if (skipped()) {
            return Map.of();
        }
        List<InetAddress> clusterIps = addresses("clusterIP", clusterIpTexts(), null);
        Set<String> families = new LinkedHashSet<>();
        for (InetAddress ip : clusterIps) {
            families.add(family(ip));
        }
        List<InetAddress> externalIps = addresses("externalIP", spec.getExternalIPs(), families);
        List<InetAddress> lbIps = addresses("load balancer IP", vipIngress(), families);
        // Loops, not streams and lambdas: every EndpointSlice change rebuilds its Service's routes here.
        List<InetAddress> nodeIps = new ArrayList<>(node.nodePortAddresses().size());
        for (InetAddress a : node.nodePortAddresses()) {
            if (families.contains(family(a))) {
                nodeIps.add(a);
            }
        }
        LbPolicy policy = policy(defaultPolicy);
        Duration affinity = affinityTimeout();
        boolean internalLocal = "Local".equals(spec.getInternalTrafficPolicy());
        boolean externalLocal = "Local".equals(spec.getExternalTrafficPolicy());
        Map<String, List<Cidr>> lbSourceRanges = lbSourceRanges(lbIps);
        ProxyProtocol proxyProtocol = proxyProtocol();

        Map<Frontend, ServiceRoute> routes = new LinkedHashMap<>();
        for (V1ServicePort port : spec.getPorts()) {
            ServicePortName spn = portName(port);
            if (spn == null) {
                continue;
            }
            int servicePort = port.getPort();
            Integer nodePort = port.getNodePort();
            // 0 is how an API object says "none", as with every unset integer.
            boolean hasNodePort = nodePort != null && nodePort != 0;
            List<Target> targets = new ArrayList<>(clusterIps.size() + externalIps.size() + lbIps.size()
                    + (hasNodePort ? nodeIps.size() : 0));
            addTargets(targets, FrontendKind.CLUSTER_IP, clusterIps, servicePort);
            addTargets(targets, FrontendKind.EXTERNAL_IP, externalIps, servicePort);
            addTargets(targets, FrontendKind.LOAD_BALANCER, lbIps, servicePort);
            if (hasNodePort) {
                addTargets(targets, FrontendKind.NODE_PORT, nodeIps, nodePort);
            }
            // All frontends of one port and family share the merged, categorized endpoints.
            Map<String, EndpointFilter.Usable> usableByFamily = new HashMap<>();
            for (Target target : targets) {
                String targetFamily = family(target.address);
                EndpointFilter.Usable usable = usableByFamily.get(targetFamily);
                if (usable == null) {
                    usable = EndpointFilter.categorize(merge(spn, targetFamily), node);
                    usableByFamily.put(targetFamily, usable);
                }
                boolean local = target.kind.external() ? externalLocal : internalLocal;
                Frontend frontend = new Frontend(target.address, target.port, spn.protocol());
                // kube-proxy applies loadBalancerSourceRanges to LoadBalancer IPs only.
                List<Cidr> allowed = target.kind == FrontendKind.LOAD_BALANCER
                        ? lbSourceRanges.getOrDefault(family(target.address), List.of()) : List.of();
                ServiceRoute route = new ServiceRoute(spn, target.kind, local ? usable.local() : usable.cluster(),
                        policy, affinity, CidrSet.of(allowed), proxyProtocol,
                        local && target.kind.external() ? shortCircuit(usable) : ShortCircuit.NONE);
                if (routes.putIfAbsent(frontend, route) != null) {
                    problems.add("service " + id + ": frontend " + frontend + " is declared twice, kept the first");
                }
            }
            if (internalLocal || externalLocal) {
                usableByFamily.forEach((family, usable) -> countWithoutLocal(usable, internalLocal,
                        externalLocal && (hasNodePort || hasFamily(externalIps, family) || hasFamily(lbIps, family))));
            }
        }
        return Collections.unmodifiableMap(routes);
    }

    private static void addTargets(List<Target> targets, FrontendKind kind, List<InetAddress> addresses, int port) {
        for (InetAddress address : addresses) {
            targets.add(new Target(kind, address, port));
        }
    }

    /** One service port of one family; no endpoint anywhere is a refused port, not a missing local one. */
    private void countWithoutLocal(EndpointFilter.Usable usable, boolean internal, boolean external) {
        if (usable.cluster().isEmpty() || !usable.local().isEmpty()) {
            return;
        }
        if (internal) {
            internalWithoutLocal++;
        }
        if (external) {
            externalWithoutLocal++;
        }
    }

    private static boolean hasFamily(List<InetAddress> addresses, String family) {
        for (InetAddress a : addresses) {
            if (family.equals(family(a))) {
                return true;
            }
        }
        return false;
    }

    /**
     * externalTrafficPolicy Local applies only to traffic from outside the node: kube-proxy sends this node's
     * own clients to the cluster endpoints ("short-circuit pod traffic", "short-circuit local traffic").
     * Nothing to short-circuit when every cluster endpoint is local.
     */
    private ShortCircuit shortCircuit(EndpointFilter.Usable usable) {
        return usable.local().equals(usable.cluster())
                ? ShortCircuit.NONE
                : new ShortCircuit(node.localSources(), usable.cluster());
    }

    /** kube-proxy's ShouldSkipService, plus Services another proxy owns or that are labelled headless. */
    private boolean skipped() {
        String primary = spec.getClusterIP();
        if (primary == null && spec.getClusterIPs() != null && !spec.getClusterIPs().isEmpty()) {
            primary = spec.getClusterIPs().get(0);
        }
        if (primary == null || primary.isEmpty() || "None".equals(primary) || "ExternalName".equals(spec.getType())) {
            return true;
        }
        return ServiceProxyLabels.excludes(service);
    }

    private List<String> clusterIpTexts() {
        List<String> ips = spec.getClusterIPs();
        return ips == null || ips.isEmpty() ? List.of(spec.getClusterIP()) : ips;
    }

    private List<String> vipIngress() {
        if (service.getStatus() == null || service.getStatus().getLoadBalancer() == null
                || service.getStatus().getLoadBalancer().getIngress() == null) {
            return List.of();
        }
        List<String> ips = new ArrayList<>();
        for (V1LoadBalancerIngress ingress : service.getStatus().getLoadBalancer().getIngress()) {
            // No ip: a hostname-only ingress. ipMode Proxy: the load balancer terminates and forwards to the
            // node, so the IP is not ours.
            if (ingress.getIp() != null && !ingress.getIp().isEmpty()
                    && (ingress.getIpMode() == null || "VIP".equals(ingress.getIpMode()))) {
                ips.add(ingress.getIp());
            }
        }
        return ips;
    }

    /**
     * Parses {@code texts}; with {@code families}, keeps only addresses of those families, because
     * kube-proxy proxies a family only when the Service has a ClusterIP of that family.
     */
    private List<InetAddress> addresses(String what, List<String> texts, Set<String> families) {
        List<InetAddress> out = new ArrayList<>(texts == null ? 0 : texts.size());
        for (String text : texts == null ? List.<String>of() : texts) {
            InetAddress ip = Addresses.parse(text);
            if (families == null || families.contains(family(ip))) {
                out.add(ip);
            } else {
                problems.add("service " + id + ": " + what + " " + text + " has no ClusterIP of its family, not proxied");
            }
        }
        return out;
    }

    private LbPolicy policy(LbPolicy defaultPolicy) {
        Map<String, String> annotations = service.getMetadata().getAnnotations();
        String value = annotations == null ? null : annotations.get(LB_ANNOTATION);
        if (value == null) {
            return defaultPolicy;
        }
        try {
            return LbPolicy.parse(value);
        } catch (IllegalArgumentException e) {
            problems.add("service " + id + ": annotation " + LB_ANNOTATION + ": " + e.getMessage()
                    + ", using " + defaultPolicy);
            return defaultPolicy;
        }
    }

    /**
     * kube-proxy's firewall on the LoadBalancer IPs, by family (no entry: no filter): the
     * loadBalancerSourceRanges of that family, as kube-proxy ignores the others; plus the family's
     * LoadBalancer IPs themselves when a range holds one of this node's addresses (kube-proxy's allowFromNode:
     * a process on the node calling a VIP that is local to the node arrives with the VIP as its source). This
     * node's addresses are the ones the control plane knows, those its NodePorts listen on.
     */
    private Map<String, List<Cidr>> lbSourceRanges(List<InetAddress> lbIps) {
        List<String> texts = spec.getLoadBalancerSourceRanges();
        if (lbIps.isEmpty() || texts == null || texts.isEmpty()) {
            return Map.of();
        }
        List<Cidr> ranges = texts.stream().map(Cidr::parse).toList();
        Map<String, List<Cidr>> byFamily = new HashMap<>();
        for (InetAddress lbIp : lbIps) {
            byFamily.computeIfAbsent(family(lbIp), family -> firewall(family,
                    ranges.stream().filter(range -> range.sameFamily(lbIp)).toList(),
                    lbIps.stream().filter(ip -> family(ip).equals(family)).toList()));
        }
        return byFamily;
    }

    /** The sources admitted to {@code vips}, the LoadBalancer IPs of {@code family}, given its {@code ranges}. */
    private List<Cidr> firewall(String family, List<Cidr> ranges, List<InetAddress> vips) {
        if (ranges.isEmpty()) {
            problems.add("service " + id + ": loadBalancerSourceRanges has no " + family + " range, so its "
                    + family + " load balancer IPs admit every client, as with kube-proxy");
            return List.of();
        }
        // A /0 admits everyone: kube-proxy then sets no filter at all.
        if (ranges.stream().anyMatch(range -> range.prefixLength() == 0)) {
            return List.of();
        }
        if (node.nodePortAddresses().stream().noneMatch(a -> ranges.stream().anyMatch(range -> range.contains(a)))) {
            return ranges;
        }
        List<Cidr> allowed = new ArrayList<>(ranges);
        vips.forEach(vip -> allowed.add(Cidr.host(vip)));
        return allowed;
    }

    private ProxyProtocol proxyProtocol() {
        Map<String, String> annotations = service.getMetadata().getAnnotations();
        String value = annotations == null ? null : annotations.get(PROXY_PROTOCOL_ANNOTATION);
        if (value == null) {
            return ProxyProtocol.NONE;
        }
        try {
            return ProxyProtocol.parse(value);
        } catch (IllegalArgumentException e) {
            problems.add("service " + id + ": annotation " + PROXY_PROTOCOL_ANNOTATION + ": " + e.getMessage()
                    + ", sending no PROXY header");
            return ProxyProtocol.NONE;
        }
    }

    private Duration affinityTimeout() {
        if (!"ClientIP".equals(spec.getSessionAffinity())) {
            return Duration.ZERO;
        }
        Integer timeout = spec.getSessionAffinityConfig() == null || spec.getSessionAffinityConfig().getClientIP() == null
                ? null
                : spec.getSessionAffinityConfig().getClientIP().getTimeoutSeconds();
        return Duration.ofSeconds(timeout == null ? DEFAULT_AFFINITY_SECONDS : timeout);
    }

    /** Null, after reporting why, for an SCTP port, which is not proxied; an unset protocol is TCP. */
    private ServicePortName portName(V1ServicePort port) {
        String name = Objects.requireNonNullElse(port.getName(), "");
        String protocol = Objects.requireNonNullElse(port.getProtocol(), "TCP");
        if ("SCTP".equals(protocol)) {
            problems.add("service " + id + " port " + (name.isEmpty() ? String.valueOf(port.getPort()) : name)
                    + ": SCTP is not proxied");
            return null;
        }
        return new ServicePortName(id.namespace(), id.name(), name, Protocol.valueOf(protocol));
    }

    /**
     * The endpoints of one Service port in one family, merged across slices: a slice port matches by name
     * and protocol, each endpoint counts by its first address, and a duplicate IP:port keeps the
     * non-terminating copy (then the local one, as kube-proxy does). Sorted by address and port.
     */
    private List<Candidate> merge(ServicePortName spn, String family) {
        List<Candidate> all = new ArrayList<>();
        for (CachedSlice slice : slices) {
            if (!family.equals(slice.addressType())) {
                continue;
            }
            int port = slice.port(spn);
            if (port == 0) {
                continue;
            }
            for (SliceEndpoint endpoint : slice.endpoints()) {
                all.add(new Candidate(new Endpoint(endpoint.address(), port), endpoint));
            }
        }
        // The sort is stable, so the copies of one IP:port end up side by side in slice order, and folding
        // each run keeps the copy that merging them into a map in that order would keep, without the map.
        all.sort(ENDPOINT_ORDER);
        int kept = 0;
        for (int i = 0; i < all.size(); i++) {
            Candidate candidate = all.get(i);
            if (kept > 0 && ENDPOINT_ORDER.compare(all.get(kept - 1), candidate) == 0) {
                all.set(kept - 1, preferred(all.get(kept - 1), candidate));
            } else {
                all.set(kept++, candidate);
            }
        }
        all.subList(kept, all.size()).clear();
        return all;
    }

    private Candidate preferred(Candidate held, Candidate other) {
        if (held.source().terminating() != other.source().terminating()) {
            return held.source().terminating() ? other : held;
        }
        boolean otherLocal = node.name().equals(other.source().nodeName()) && !node.name().equals(held.source().nodeName());
        return otherLocal ? other : held;
    }

    private record Target(FrontendKind kind, InetAddress address, int port) {
    }

    private static String family(InetAddress address) {
        return address instanceof Inet4Address ? CachedSlice.IPV4 : CachedSlice.IPV6;
    }
}
