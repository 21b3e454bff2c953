package dev.junction.control;

import static dev.junction.control.Fixtures.NS;
import static dev.junction.control.Fixtures.e;
import static dev.junction.control.Fixtures.ep;
import static dev.junction.control.Fixtures.hinted;
import static dev.junction.control.Fixtures.notReady;
import static dev.junction.control.Fixtures.port;
import static dev.junction.control.Fixtures.service;
import static dev.junction.control.Fixtures.servingTerminating;
import static dev.junction.control.Fixtures.slice;
import static dev.junction.control.Fixtures.slicePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import io.kubernetes.client.openapi.models.DiscoveryV1EndpointPort;
import io.kubernetes.client.openapi.models.V1ClientIPConfig;
import io.kubernetes.client.openapi.models.V1Endpoint;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1LoadBalancerIngress;
import io.kubernetes.client.openapi.models.V1LoadBalancerStatus;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServicePort;
import io.kubernetes.client.openapi.models.V1ServiceStatus;
import io.kubernetes.client.openapi.models.V1SessionAffinityConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RouteBuilderTest {

    private static final Frontend CLUSTER_HTTP = tcp("10.96.0.1", 80);

    private final List<String> problems = new ArrayList<>();

    private Map<Frontend, ServiceRoute> build(V1Service svc, V1EndpointSlice... slices) {
        return build(svc, Fixtures.NODE, slices);
    }

    /** Converts the slices as the cache does. */
    private Map<Frontend, ServiceRoute> build(V1Service svc, NodeInfo node, V1EndpointSlice... slices) {
        List<CachedSlice> cached = Arrays.stream(slices).map(CachedSlice::of).toList();
        return RouteBuilder.build(svc, cached, node, LbPolicy.ROUND_ROBIN, problems::add);
    }

    private static Frontend tcp(String ip, int port) {
        return new Frontend(Addresses.parse(ip), port, Protocol.TCP);
    }

    private static V1Service web() {
        return service("web", port("http", 80));
    }

    private static V1EndpointSlice webSlice(String name) {
        return slice(name, "web", slicePort("http", 8080));
    }

    static Stream<Arguments> skippedServices() {
        return Stream.of(
                Arguments.argumentSet("headless clusterIP None",
                        (Consumer<V1Service>) s -> s.getSpec().clusterIP("None").clusterIPs(List.of("None"))),
                Arguments.argumentSet("empty clusterIP", (Consumer<V1Service>) s -> s.getSpec().clusterIP("").clusterIPs(null)),
                Arguments.argumentSet("no clusterIP", (Consumer<V1Service>) s -> s.getSpec().clusterIP(null).clusterIPs(null)),
                Arguments.argumentSet("ExternalName", (Consumer<V1Service>) s -> s.getSpec().type("ExternalName")),
                Arguments.argumentSet("service-proxy-name label",
                        (Consumer<V1Service>) s -> s.getMetadata().putLabelsItem("service.kubernetes.io/service-proxy-name", "other")),
                Arguments.argumentSet("headless label",
                        (Consumer<V1Service>) s -> s.getMetadata().putLabelsItem("service.kubernetes.io/headless", "")));
    }

    @ParameterizedTest
    @MethodSource("skippedServices")
    void skipsServicesKubeProxySkips(Consumer<V1Service> change) {
        V1Service svc = web();
        change.accept(svc);
        assertEquals(Map.of(), build(svc, webSlice("web-1").addEndpointsItem(ep("10.1.0.1"))));
        assertEquals(List.of(), problems);
    }

    @Test
    void buildsOneClusterIpFrontendPerPortWithTheSlicePortNumbers() {
        V1Service svc = service("web", port("http", 80), port("dns", 53).protocol("UDP"));
        V1EndpointSlice slice = slice("web-1", "web", slicePort("http", 8080), slicePort("dns", 5353).protocol("UDP"))
                .addEndpointsItem(ep("10.1.0.1"));

        Map<Frontend, ServiceRoute> routes = build(svc, slice);

        assertEquals(Map.of(
                CLUSTER_HTTP, new ServiceRoute(new ServicePortName(NS, "web", "http", Protocol.TCP), FrontendKind.CLUSTER_IP,
                        List.of(e("10.1.0.1", 8080)), LbPolicy.ROUND_ROBIN, Duration.ZERO),
                new Frontend(Addresses.parse("10.96.0.1"), 53, Protocol.UDP),
                new ServiceRoute(new ServicePortName(NS, "web", "dns", Protocol.UDP), FrontendKind.CLUSTER_IP,
                        List.of(e("10.1.0.1", 5353)), LbPolicy.ROUND_ROBIN, Duration.ZERO)), routes);
        assertEquals(List.of(), problems);
    }

    @Test
    void mergesSlicesInAStableOrderWhateverTheirOrder() {
        V1EndpointSlice a = webSlice("web-a").addEndpointsItem(ep("10.1.0.9")).addEndpointsItem(ep("10.1.0.10"));
        V1EndpointSlice b = webSlice("web-b").addEndpointsItem(ep("10.1.0.2"));

        Map<Frontend, ServiceRoute> routes = build(web(), a, b);

        assertEquals(List.of(e("10.1.0.2", 8080), e("10.1.0.9", 8080), e("10.1.0.10", 8080)),
                routes.get(CLUSTER_HTTP).endpoints());
        assertEquals(routes, build(web(), b, a));
    }

    @Test
    void sortsEndpointsByAddressBytesAsUnsignedNumbersThenPort() {
        V1Service svc = web();
        svc.getSpec().clusterIPs(List.of("10.96.0.1", "fd00::1"));
        // Two slices carry the same Service port at different numbers.
        V1EndpointSlice a = webSlice("web-a")
                .addEndpointsItem(ep("200.0.0.1")).addEndpointsItem(ep("10.1.0.10")).addEndpointsItem(ep("10.1.0.9"));
        V1EndpointSlice b = slice("web-b", "web", slicePort("http", 8081)).addEndpointsItem(ep("10.1.0.9"));
        V1EndpointSlice v6 = webSlice("web-v6").addressType("IPv6")
                .addEndpointsItem(ep("8000::1")).addEndpointsItem(ep("fd02::1:0")).addEndpointsItem(ep("fd02:0:0:1::"))
                .addEndpointsItem(ep("fd02::2")).addEndpointsItem(ep("7fff::ffff"));

        Map<Frontend, ServiceRoute> routes = build(svc, v6, b, a);

        assertEquals(List.of(e("10.1.0.9", 8080), e("10.1.0.9", 8081), e("10.1.0.10", 8080), e("200.0.0.1", 8080)),
                routes.get(CLUSTER_HTTP).endpoints());
        assertEquals(List.of(e("7fff::ffff", 8080), e("8000::1", 8080), e("fd02::2", 8080), e("fd02::1:0", 8080),
                e("fd02:0:0:1::", 8080)), routes.get(tcp("fd00::1", 80)).endpoints());
        assertEquals(List.of(), problems);
    }

    @Test
    void deduplicatesTwoSpellingsOfOneAddress() {
        V1EndpointSlice a = webSlice("web-a").addressType("IPv6").addEndpointsItem(ep("fd02::1"));
        V1EndpointSlice b = webSlice("web-b").addressType("IPv6").addEndpointsItem(ep("FD02:0:0::1"));
        V1Service svc = web();
        svc.getSpec().clusterIP("fd00::1").clusterIPs(List.of("fd00::1"));

        assertEquals(List.of(e("fd02::1", 8080)), build(svc, a, b).get(tcp("fd00::1", 80)).endpoints());
    }

    @Test
    void usesOnlyTheFirstAddressOfAnEndpoint() {
        V1EndpointSlice slice = webSlice("web-1").addEndpointsItem(ep("10.1.0.1").addAddressesItem("10.1.0.2"));
        assertEquals(List.of(e("10.1.0.1", 8080)), build(web(), slice).get(CLUSTER_HTTP).endpoints());
    }

    static Stream<Arguments> portMatching() {
        return Stream.of(
                Arguments.argumentSet("same name and protocol", "http", "TCP", slicePort("http", 8080), true),
                Arguments.argumentSet("other name", "http", "TCP", slicePort("metrics", 8080), false),
                Arguments.argumentSet("unnamed and empty name", null, "TCP", slicePort("", 8080), true),
                Arguments.argumentSet("unnamed and nil name", null, "TCP", slicePort(null, 8080), true),
                Arguments.argumentSet("unnamed and named", "", "TCP", slicePort("http", 8080), false),
                Arguments.argumentSet("protocol mismatch", "http", "TCP", slicePort("http", 8080).protocol("UDP"), false),
                Arguments.argumentSet("nil protocols default to TCP", "http", null, slicePort("http", 8080).protocol(null), true),
                Arguments.argumentSet("nil slice port number", "http", "TCP", slicePort("http", 8080).port(null), false));
    }

    @ParameterizedTest
    @MethodSource("portMatching")
    void matchesSlicePortsByNameAndProtocol(String name, String protocol, DiscoveryV1EndpointPort slicePort, boolean matches) {
        V1Service svc = service("web", new V1ServicePort().name(name).port(80).protocol(protocol));
        V1EndpointSlice slice = slice("web-1", "web", slicePort).addEndpointsItem(ep("10.1.0.1"));

        ServiceRoute route = build(svc, slice).get(CLUSTER_HTTP);

        assertEquals(name == null ? "" : name, route.service().port());
        assertEquals(matches ? List.of(e("10.1.0.1", 8080)) : List.of(), route.endpoints());
    }

    @Test
    void deduplicatesEndpointsAcrossSlicesPreferringTheNonTerminatingCopy() {
        // The terminating copy is not serving: if it won, the endpoint would not be usable at all.
        V1EndpointSlice terminating = webSlice("web-a").addEndpointsItem(Fixtures.ep("10.1.0.1", false, false, true));
        V1EndpointSlice live = webSlice("web-b").addEndpointsItem(ep("10.1.0.1"));
        V1EndpointSlice liveFirst = webSlice("web-0").addEndpointsItem(ep("10.1.0.1"));

        assertEquals(List.of(e("10.1.0.1", 8080)), build(web(), terminating, live).get(CLUSTER_HTTP).endpoints());
        assertEquals(List.of(e("10.1.0.1", 8080)), build(web(), liveFirst, terminating).get(CLUSTER_HTTP).endpoints());
    }

    @Test
    void deduplicatesEndpointsAcrossSlicesPreferringTheLocalCopy() {
        V1Service svc = web();
        svc.getSpec().internalTrafficPolicy("Local");
        V1EndpointSlice remote = webSlice("web-a").addEndpointsItem(ep("10.1.0.1"));
        V1EndpointSlice local = webSlice("web-b").addEndpointsItem(ep("10.1.0.1").nodeName(Fixtures.THIS_NODE));

        assertEquals(List.of(e("10.1.0.1", 8080)), build(svc, remote, local).get(CLUSTER_HTTP).endpoints());
    }

    @Test
    void fallsBackToServingTerminatingEndpointsWhenNoneIsReady() {
        V1EndpointSlice slice = webSlice("web-1")
                .addEndpointsItem(servingTerminating("10.1.0.1"))
                .addEndpointsItem(Fixtures.ep("10.1.0.2", false, false, true))
                .addEndpointsItem(notReady("10.1.0.3"));
        assertEquals(List.of(e("10.1.0.1", 8080)), build(web(), slice).get(CLUSTER_HTTP).endpoints());
    }

    @Test
    void noUsableEndpointsGiveAnEmptyRoute() {
        assertEquals(List.of(), build(web()).get(CLUSTER_HTTP).endpoints());
        assertEquals(List.of(), build(web(), webSlice("web-1").addEndpointsItem(notReady("10.1.0.1"))).get(CLUSTER_HTTP).endpoints());
    }

    static Stream<Arguments> internalTrafficPolicyLocal() {
        return Stream.of(
                Arguments.argumentSet("local ready endpoint only",
                        List.of(ep("10.1.0.1").nodeName(Fixtures.THIS_NODE), ep("10.1.0.2")), List.of(e("10.1.0.1", 8080))),
                Arguments.argumentSet("local serving+terminating fallback",
                        List.of(servingTerminating("10.1.0.1").nodeName(Fixtures.THIS_NODE), ep("10.1.0.2")),
                        List.of(e("10.1.0.1", 8080))),
                Arguments.argumentSet("no local endpoint: refuse", List.of(ep("10.1.0.2")), List.of()));
    }

    @ParameterizedTest
    @MethodSource("internalTrafficPolicyLocal")
    void internalTrafficPolicyLocalUsesLocalEndpointsForClusterIp(
            List<V1Endpoint> endpoints, List<Endpoint> expected) {
        V1Service svc = web();
        svc.getSpec().internalTrafficPolicy("Local");
        V1EndpointSlice slice = webSlice("web-1").endpoints(new ArrayList<>(endpoints));
        assertEquals(expected, build(svc, slice).get(CLUSTER_HTTP).endpoints());
    }

    private static V1Service exposed(String externalTrafficPolicy) {
        V1Service svc = web();
        svc.getSpec().type("LoadBalancer").externalTrafficPolicy(externalTrafficPolicy).addExternalIPsItem("192.0.2.10");
        svc.getSpec().getPorts().get(0).nodePort(30080);
        svc.status(new V1ServiceStatus().loadBalancer(new V1LoadBalancerStatus()
                .addIngressItem(new V1LoadBalancerIngress().ip("198.51.100.1"))));
        return svc;
    }

    static Stream<Arguments> externalTrafficPolicy() {
        return Stream.of(
                Arguments.argumentSet("Local", "Local", List.of(e("10.1.0.1", 8080))),
                Arguments.argumentSet("Cluster", "Cluster", List.of(e("10.1.0.1", 8080), e("10.1.0.2", 8080))),
                Arguments.argumentSet("unset means Cluster", null, List.of(e("10.1.0.1", 8080), e("10.1.0.2", 8080))));
    }

    @ParameterizedTest
    @MethodSource("externalTrafficPolicy")
    void externalTrafficPolicyGovernsExternalIpsLoadBalancerAndNodePorts(String policy, List<Endpoint> external) {
        NodeInfo node = new NodeInfo(Fixtures.THIS_NODE, "zone-a", List.of(Addresses.parse("172.16.0.5")));
        V1EndpointSlice slice = webSlice("web-1")
                .addEndpointsItem(ep("10.1.0.1").nodeName(Fixtures.THIS_NODE))
                .addEndpointsItem(ep("10.1.0.2"));

        Map<Frontend, ServiceRoute> routes = build(exposed(policy), node, slice);

        assertEquals(List.of(e("10.1.0.1", 8080), e("10.1.0.2", 8080)), routes.get(CLUSTER_HTTP).endpoints());
        Map<Frontend, FrontendKind> externals = Map.of(
                tcp("192.0.2.10", 80), FrontendKind.EXTERNAL_IP,
                tcp("198.51.100.1", 80), FrontendKind.LOAD_BALANCER,
                tcp("172.16.0.5", 30080), FrontendKind.NODE_PORT);
        externals.forEach((frontend, kind) -> {
            assertEquals(kind, routes.get(frontend).kind(), frontend.toString());
            assertEquals(external, routes.get(frontend).endpoints(), frontend.toString());
        });
        assertEquals(4, routes.size());
    }

    /**
     * kube-proxy TestExternalTrafficPolicyLocal ("pod to external IP hits both endpoints", "external to
     * external IP hits only local endpoint", the same for the LB IP and the NodePort): every external frontend
     * of an eTP Local Service gives this node's own clients the cluster endpoints; the ClusterIP needs no
     * short-circuit, nor does eTP Cluster.
     */
    @Test
    void externalTrafficPolicyLocalShortCircuitsThisNodesOwnClientsToTheClusterEndpoints() {
        CidrSet own = CidrSet.of(List.of(Cidr.parse("172.16.0.5"), Cidr.parse("10.244.3.0/24")));
        NodeInfo node = new NodeInfo(Fixtures.THIS_NODE, "zone-a", List.of(Addresses.parse("172.16.0.5")), own);
        V1EndpointSlice slice = webSlice("web-1")
                .addEndpointsItem(ep("10.1.0.1").nodeName(Fixtures.THIS_NODE))
                .addEndpointsItem(ep("10.1.0.2"));
        List<Endpoint> cluster = List.of(e("10.1.0.1", 8080), e("10.1.0.2", 8080));

        Map<Frontend, ServiceRoute> local = build(exposed("Local"), node, slice);
        for (Frontend f : List.of(tcp("192.0.2.10", 80), tcp("198.51.100.1", 80), tcp("172.16.0.5", 30080))) {
            assertEquals(List.of(e("10.1.0.1", 8080)), local.get(f).endpoints(), f.toString());
            assertEquals(new ShortCircuit(own, cluster), local.get(f).shortCircuit(), f.toString());
        }
        assertEquals(ShortCircuit.NONE, local.get(CLUSTER_HTTP).shortCircuit());
        build(exposed("Cluster"), node, slice).values()
                .forEach(r -> assertEquals(ShortCircuit.NONE, r.shortCircuit(), r.kind().toString()));
    }

    /** The case: with no local endpoint, outside clients are refused and this node's own still served. */
    @Test
    void externalTrafficPolicyLocalWithoutALocalEndpointStillServesThisNodesOwnClients() {
        CidrSet own = CidrSet.of(List.of(Cidr.parse("10.244.3.0/24")));
        NodeInfo node = new NodeInfo(Fixtures.THIS_NODE, null, List.of(), own);
        V1EndpointSlice slice = webSlice("web-1").addEndpointsItem(ep("10.1.0.2"));

        ServiceRoute lb = build(exposed("Local"), node, slice).get(tcp("198.51.100.1", 80));

        assertEquals(List.of(), lb.endpoints());
        assertEquals(new ShortCircuit(own, List.of(e("10.1.0.2", 8080))), lb.shortCircuit());
    }

    @Test
    void noShortCircuitWhenEveryEndpointIsLocal() {
        V1EndpointSlice slice = webSlice("web-1").addEndpointsItem(ep("10.1.0.1").nodeName(Fixtures.THIS_NODE));
        build(exposed("Local"), slice).values()
                .forEach(r -> assertEquals(ShortCircuit.NONE, r.shortCircuit(), r.kind().toString()));
    }

    @Test
    void noNodePortFrontendsWithoutANodePortOrNodeAddresses() {
        V1Service withNodePort = exposed("Cluster");
        V1Service withoutNodePort = exposed("Cluster");
        withoutNodePort.getSpec().getPorts().get(0).nodePort(null);
        V1Service withNodePortZero = exposed("Cluster");
        withNodePortZero.getSpec().getPorts().get(0).nodePort(0);
        NodeInfo node = new NodeInfo(Fixtures.THIS_NODE, null, List.of(Addresses.parse("172.16.0.5")));

        assertEquals(Set.of(CLUSTER_HTTP, tcp("192.0.2.10", 80), tcp("198.51.100.1", 80)),
                build(withoutNodePort, node).keySet());
        assertEquals(build(withoutNodePort, node).keySet(), build(withNodePortZero, node).keySet());
        assertEquals(build(withoutNodePort, node).keySet(), build(withNodePort, Fixtures.NODE).keySet());
    }

    @Test
    void loadBalancerSourceRangesApplyToLoadBalancerFrontendsOnly() {
        V1Service svc = exposed("Cluster");
        svc.getSpec().loadBalancerSourceRanges(List.of("10.244.0.0/16", " 192.0.2.7 "));
        NodeInfo node = new NodeInfo(Fixtures.THIS_NODE, null, List.of(Addresses.parse("172.16.0.5")));

        Map<Frontend, ServiceRoute> routes = build(svc, node);

        List<Cidr> ranges = List.of(Cidr.parse("10.244.0.0/16"), Cidr.parse("192.0.2.7/32"));
        assertEquals(ranges, routes.get(tcp("198.51.100.1", 80)).sourceRanges().cidrs());
        assertTrue(routes.get(tcp("198.51.100.1", 80)).allows(Addresses.parse("10.244.3.2")));
        assertTrue(!routes.get(tcp("198.51.100.1", 80)).allows(Addresses.parse("192.168.50.2")));
        for (Frontend f : List.of(CLUSTER_HTTP, tcp("192.0.2.10", 80), tcp("172.16.0.5", 30080))) {
            assertEquals(List.of(), routes.get(f).sourceRanges().cidrs(), f.toString());
        }
        assertEquals(List.of(), problems);
    }

    /**
     * kube-proxy's ServiceChangeTracker keeps only the ranges of each proxier's family (MapCIDRsByIPFamily), so
     * each family's LoadBalancer IPs are filtered by that family's ranges alone.
     */
    @Test
    void eachFamilysLoadBalancerIpsAreFilteredByThatFamilysRangesOnly() {
        V1Service svc = exposed("Cluster");
        svc.getSpec().clusterIPs(List.of("10.96.0.1", "fd00::1"))
                .loadBalancerSourceRanges(List.of("2001:db8::/32", "203.0.113.0/25"));
        svc.getStatus().getLoadBalancer().addIngressItem(new V1LoadBalancerIngress().ip("2001:db8:1::1"));

        Map<Frontend, ServiceRoute> routes = build(svc);

        assertEquals(List.of(Cidr.parse("203.0.113.0/25")), routes.get(tcp("198.51.100.1", 80)).sourceRanges().cidrs());
        assertEquals(List.of(Cidr.parse("2001:db8::/32")), routes.get(tcp("2001:db8:1::1", 80)).sourceRanges().cidrs());
        assertEquals(List.of(), problems);
    }

    /**
     * An IPv4 LoadBalancer whose ranges are all IPv6: kube-proxy's IPv4 proxier has no range left and sets no
     * filter, so every client gets through; the surprise is told once.
     */
    @Test
    void anIpv4LoadBalancerWhoseRangesAreAllIpv6AdmitsEveryClient() {
        V1Service svc = exposed("Cluster");
        svc.getSpec().loadBalancerSourceRanges(List.of("2001:db8::/32"));

        ServiceRoute lb = build(svc).get(tcp("198.51.100.1", 80));

        assertEquals(List.of(), lb.sourceRanges().cidrs());
        assertTrue(lb.allows(Addresses.parse("203.0.113.130")));
        assertEquals(List.of("service ns/web: loadBalancerSourceRanges has no IPv4 range, so its IPv4 load balancer"
                + " IPs admit every client, as with kube-proxy"), problems);
    }

    /** kube-proxy's ServiceChangeTracker: a zero-masked range means "allow any", the same as no ranges. */
    @Test
    void aZeroLengthRangeMeansNoFilter() {
        V1Service svc = exposed("Cluster");
        svc.getSpec().loadBalancerSourceRanges(List.of("203.0.113.0/25", "0.0.0.0/0"));
        NodeInfo node = new NodeInfo(Fixtures.THIS_NODE, null, List.of(Addresses.parse("172.16.0.5")));

        assertEquals(List.of(), build(svc, node).get(tcp("198.51.100.1", 80)).sourceRanges().cidrs());
        assertEquals(List.of(), problems);
    }

    /**
     * kube-proxy's allowFromNode (nftables proxier, TestLoadBalancer "same node to LB, SNATted to LB (implicitly
     * allowed)"): ranges that hold this node's address admit the Service's LoadBalancer IPs of that family too.
     */
    @Test
    void rangesHoldingThisNodesAddressAlsoAdmitTheLoadBalancerIps() {
        V1Service svc = exposed("Cluster");
        svc.getSpec().clusterIPs(List.of("10.96.0.1", "fd00::1"))
                .loadBalancerSourceRanges(List.of("203.0.113.0/25", "172.16.0.0/24", "2001:db8::/32"));
        svc.getStatus().getLoadBalancer()
                .addIngressItem(new V1LoadBalancerIngress().ip("198.51.100.2"))
                .addIngressItem(new V1LoadBalancerIngress().ip("2001:db8:1::1"));
        NodeInfo node = new NodeInfo(Fixtures.THIS_NODE, null,
                List.of(Addresses.parse("172.16.0.5"), Addresses.parse("fd01::5")));

        Map<Frontend, ServiceRoute> routes = build(svc, node);

        List<Cidr> v4 = List.of(Cidr.parse("203.0.113.0/25"), Cidr.parse("172.16.0.0/24"),
                Cidr.parse("198.51.100.1/32"), Cidr.parse("198.51.100.2/32"));
        for (String lbIp : List.of("198.51.100.1", "198.51.100.2")) {
            ServiceRoute lb = routes.get(tcp(lbIp, 80));
            assertEquals(v4, lb.sourceRanges().cidrs(), lbIp);
            assertTrue(lb.allows(Addresses.parse(lbIp)), "same node to LB, SNATted to LB");
            assertTrue(lb.allows(Addresses.parse("172.16.0.5")), "node to LB");
            assertTrue(lb.allows(Addresses.parse("203.0.113.2")), "accepted external to LB");
            assertFalse(lb.allows(Addresses.parse("203.0.113.130")), "blocked external to LB");
        }
        // The IPv6 ranges hold none of this node's IPv6 addresses: the IPv6 LoadBalancer IP is not admitted.
        assertEquals(List.of(Cidr.parse("2001:db8::/32")), routes.get(tcp("2001:db8:1::1", 80)).sourceRanges().cidrs());
        assertEquals(List.of(), problems);
    }

    @Test
    void rangesWithoutThisNodesAddressDoNotAdmitTheLoadBalancerIp() {
        V1Service svc = exposed("Cluster");
        svc.getSpec().loadBalancerSourceRanges(List.of("203.0.113.0/25"));
        NodeInfo node = new NodeInfo(Fixtures.THIS_NODE, null, List.of(Addresses.parse("172.16.0.5")));

        ServiceRoute lb = build(svc, node).get(tcp("198.51.100.1", 80));

        assertEquals(List.of(Cidr.parse("203.0.113.0/25")), lb.sourceRanges().cidrs());
        assertFalse(lb.allows(Addresses.parse("198.51.100.1")));
    }

    static Stream<Arguments> proxyProtocol() {
        return Stream.of(
                Arguments.argumentSet("no annotation", null, ProxyProtocol.NONE, List.of()),
                Arguments.argumentSet("v1", "v1", ProxyProtocol.V1, List.of()),
                Arguments.argumentSet("V2", "V2", ProxyProtocol.V2, List.of()),
                Arguments.argumentSet("invalid: none and a problem", "v3", ProxyProtocol.NONE,
                        List.of("service ns/web: annotation junction.dev/proxy-protocol: unknown PROXY protocol version"
                                + " \"v3\" (expected: v1 or v2), sending no PROXY header")));
    }

    @ParameterizedTest
    @MethodSource("proxyProtocol")
    void proxyProtocolFromAnnotationOnEveryFrontend(String annotation, ProxyProtocol expected, List<String> expectedProblems) {
        V1Service svc = exposed("Cluster");
        if (annotation != null) {
            svc.getMetadata().putAnnotationsItem("junction.dev/proxy-protocol", annotation);
        }
        Map<Frontend, ServiceRoute> routes = build(svc);
        assertEquals(3, routes.size());
        routes.values().forEach(r -> assertEquals(expected, r.proxyProtocol(), r.kind().toString()));
        assertEquals(expectedProblems, problems);
    }

    @Test
    void loadBalancerIngressInProxyModeIsNotAFrontend() {
        V1Service svc = web();
        svc.status(new V1ServiceStatus().loadBalancer(new V1LoadBalancerStatus()
                .addIngressItem(new V1LoadBalancerIngress().ip("198.51.100.1"))
                .addIngressItem(new V1LoadBalancerIngress().ip("198.51.100.2").ipMode("VIP"))
                .addIngressItem(new V1LoadBalancerIngress().ip("198.51.100.3").ipMode("Proxy"))
                .addIngressItem(new V1LoadBalancerIngress().hostname("lb.example.com"))
                .addIngressItem(new V1LoadBalancerIngress().ip("").hostname("lb2.example.com"))));

        assertEquals(Set.of(CLUSTER_HTTP, tcp("198.51.100.1", 80), tcp("198.51.100.2", 80)), build(svc).keySet());
        assertEquals(List.of(), problems);
    }

    @Test
    void dualStackFrontendsUseOnlySlicesOfTheirFamily() {
        V1Service svc = web();
        svc.getSpec().clusterIPs(List.of("10.96.0.1", "fd00::1")).addExternalIPsItem("2001:db8::10");
        NodeInfo node = new NodeInfo(Fixtures.THIS_NODE, null, List.of(Addresses.parse("172.16.0.5"), Addresses.parse("fd01::5")));
        svc.getSpec().getPorts().get(0).nodePort(30080);
        V1EndpointSlice v4 = webSlice("web-v4").addEndpointsItem(ep("10.1.0.1"));
        V1EndpointSlice v6 = webSlice("web-v6").addressType("IPv6").addEndpointsItem(ep("fd02::1"));
        // An FQDN slice is ignored even when its address happens to look like an IP.
        V1EndpointSlice fqdn = webSlice("web-fqdn").addressType("FQDN").addEndpointsItem(ep("10.1.0.2"));

        Map<Frontend, ServiceRoute> routes = build(svc, node, v4, v6, fqdn);

        List<Endpoint> v4Endpoints = List.of(e("10.1.0.1", 8080));
        List<Endpoint> v6Endpoints = List.of(e("fd02::1", 8080));
        assertEquals(Map.of(
                CLUSTER_HTTP, v4Endpoints,
                tcp("172.16.0.5", 30080), v4Endpoints,
                tcp("fd00::1", 80), v6Endpoints,
                tcp("2001:db8::10", 80), v6Endpoints,
                tcp("fd01::5", 30080), v6Endpoints), endpointsByFrontend(routes));
        assertEquals(List.of(), problems);
    }

    /**
     * kube-proxy's no_local_endpoints_total counts per service port in each family's proxier, the external
     * policy only where the port is reachable from outside (an IPv6 externalIP here, no NodePort), and a
     * local endpoint still serving while it terminates is a local endpoint (CategorizeEndpoints' fallback).
     */
    @Test
    void countsServicePortsPerFamilyWithALocalPolicyAndNoLocalEndpoint() {
        V1Service svc = web();
        svc.getSpec().clusterIPs(List.of("10.96.0.1", "fd00::1")).addExternalIPsItem("2001:db8::10")
                .internalTrafficPolicy("Local").externalTrafficPolicy("Local");
        V1EndpointSlice v4 = webSlice("web-v4").addEndpointsItem(ep("10.1.0.1"));
        V1EndpointSlice v6 = webSlice("web-v6").addressType("IPv6").addEndpointsItem(ep("fd02::1"));
        assertEquals(new RouteBuilder.NoLocalEndpoints(2, 1), noLocal(svc, v4, v6));

        V1EndpointSlice v4Here = webSlice("web-v4")
                .addEndpointsItem(servingTerminating("10.1.0.2").nodeName(Fixtures.THIS_NODE)).addEndpointsItem(ep("10.1.0.1"));
        assertEquals(new RouteBuilder.NoLocalEndpoints(1, 1), noLocal(svc, v4Here, v6));

        // Without any endpoint a port refuses everyone: not a missing local endpoint.
        assertEquals(new RouteBuilder.NoLocalEndpoints(1, 0), noLocal(svc, v4));
        svc.getSpec().internalTrafficPolicy("Cluster").externalTrafficPolicy("Cluster");
        assertEquals(RouteBuilder.NoLocalEndpoints.NONE, noLocal(svc, v4, v6));
    }

    private static RouteBuilder.NoLocalEndpoints noLocal(V1Service svc, V1EndpointSlice... slices) {
        return RouteBuilder.rebuild(svc, Arrays.stream(slices).map(CachedSlice::of).toList(), Fixtures.NODE,
                LbPolicy.ROUND_ROBIN, problem -> { }).noLocalEndpoints();
    }

    @Test
    void singleStackServiceHasNoFrontendsInTheOtherFamily() {
        V1Service svc = web();
        svc.getSpec().addExternalIPsItem("2001:db8::10").getPorts().get(0).nodePort(30080);
        NodeInfo node = new NodeInfo(Fixtures.THIS_NODE, null, List.of(Addresses.parse("fd01::5")));

        assertEquals(Set.of(CLUSTER_HTTP), build(svc, node).keySet());
        assertEquals(List.of("service ns/web: externalIP 2001:db8::10 has no ClusterIP of its family, not proxied"), problems);
    }

    @Test
    void appliesTopologyHintsToClusterTraffic() {
        V1EndpointSlice slice = webSlice("web-1")
                .addEndpointsItem(hinted(ep("10.1.0.1"), List.of(), List.of("zone-a")))
                .addEndpointsItem(hinted(ep("10.1.0.2"), List.of(), List.of("zone-b")));
        assertEquals(List.of(e("10.1.0.1", 8080)), build(web(), slice).get(CLUSTER_HTTP).endpoints());
    }

    static Stream<Arguments> affinity() {
        return Stream.of(
                Arguments.argumentSet("no affinity", null, null, Duration.ZERO),
                Arguments.argumentSet("None", "None", 60, Duration.ZERO),
                Arguments.argumentSet("ClientIP default timeout", "ClientIP", null, Duration.ofSeconds(10800)),
                Arguments.argumentSet("ClientIP explicit timeout", "ClientIP", 60, Duration.ofSeconds(60)),
                Arguments.argumentSet("ClientIP longest timeout", "ClientIP", 86400, Duration.ofSeconds(86400)));
    }

    @ParameterizedTest
    @MethodSource("affinity")
    void sessionAffinityTimeout(String affinity, Integer timeoutSeconds, Duration expected) {
        V1Service svc = web();
        svc.getSpec().sessionAffinity(affinity);
        if (timeoutSeconds != null) {
            svc.getSpec().sessionAffinityConfig(
                    new V1SessionAffinityConfig().clientIP(new V1ClientIPConfig().timeoutSeconds(timeoutSeconds)));
        }
        assertEquals(expected, build(svc).get(CLUSTER_HTTP).affinityTimeout());
        assertEquals(List.of(), problems);
    }

    static Stream<Arguments> policy() {
        return Stream.of(
                Arguments.argumentSet("no annotation: default", null, LbPolicy.LEAST_CONNECTIONS, List.of()),
                Arguments.argumentSet("round-robin", "round-robin", LbPolicy.ROUND_ROBIN, List.of()),
                Arguments.argumentSet("least-connections", "least-connections", LbPolicy.LEAST_CONNECTIONS, List.of()),
                Arguments.argumentSet("invalid: default and a problem", "random", LbPolicy.LEAST_CONNECTIONS,
                        List.of("service ns/web: annotation junction.dev/lb: unknown load-balancing policy \"random\""
                                + " (expected round-robin or least-connections), using least-connections")));
    }

    @ParameterizedTest
    @MethodSource("policy")
    void balancingPolicyFromAnnotation(String annotation, LbPolicy expected, List<String> expectedProblems) {
        V1Service svc = web();
        if (annotation != null) {
            svc.getMetadata().putAnnotationsItem("junction.dev/lb", annotation);
        }
        Map<Frontend, ServiceRoute> routes =
                RouteBuilder.build(svc, List.of(), Fixtures.NODE, LbPolicy.LEAST_CONNECTIONS, problems::add);
        assertEquals(expected, routes.get(CLUSTER_HTTP).policy());
        assertEquals(expectedProblems, problems);
    }

    @Test
    void sctpPortsAreReportedAndSkipped() {
        V1Service svc = service("web", port("http", 80), port("sig", 9899).protocol("SCTP"));
        assertEquals(Set.of(CLUSTER_HTTP), build(svc).keySet());
        assertEquals(List.of("service ns/web port sig: SCTP is not proxied"), problems);
    }

    @Test
    void aFrontendDeclaredTwiceKeepsTheFirstAndReportsIt() {
        V1Service svc = web();
        svc.getSpec().addExternalIPsItem("10.96.0.1");
        Map<Frontend, ServiceRoute> routes = build(svc);
        assertEquals(FrontendKind.CLUSTER_IP, routes.get(CLUSTER_HTTP).kind());
        assertEquals(List.of("service ns/web: frontend 10.96.0.1:80/TCP is declared twice, kept the first"), problems);
    }

    private static Map<Frontend, List<Endpoint>> endpointsByFrontend(Map<Frontend, ServiceRoute> routes) {
        Map<Frontend, List<Endpoint>> out = new HashMap<>();
        routes.forEach((f, r) -> out.put(f, r.endpoints()));
        return out;
    }
}
