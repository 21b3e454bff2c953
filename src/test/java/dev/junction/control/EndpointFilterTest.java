package dev.junction.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.junction.control.EndpointFilter.Candidate;
import dev.junction.model.Addresses;
import dev.junction.model.Endpoint;
import io.kubernetes.client.openapi.models.V1Endpoint;
import io.kubernetes.client.openapi.models.V1EndpointConditions;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class EndpointFilterTest {

    private static final NodeInfo NODE = new NodeInfo("node-a", "zone-a", List.of());
    private static final NodeInfo NODE_WITHOUT_ZONE = new NodeInfo("node-a", null, List.of());

    private static Candidate candidate(String ip, boolean ready, boolean serving, boolean terminating) {
        return new Candidate(Endpoint.of(ip, 80),
                SliceEndpoint.of(Addresses.parse(ip), "node-b", ready, serving, terminating, Set.of(), Set.of()));
    }

    private static Candidate ready(String ip) {
        return candidate(ip, true, true, false);
    }

    private static Candidate notReady(String ip) {
        return candidate(ip, false, false, false);
    }

    /** Not ready because it is shutting down, still accepting connections. */
    private static Candidate servingTerminating(String ip) {
        return candidate(ip, false, true, true);
    }

    private static Candidate terminatingNotServing(String ip) {
        return candidate(ip, false, false, true);
    }

    /** Serving but not ready and not terminating (e.g. failing readiness): never used. */
    private static Candidate servingNotReady(String ip) {
        return candidate(ip, false, true, false);
    }

    private static Candidate with(Candidate e, String nodeName, Set<String> nodeHints, Set<String> zoneHints) {
        SliceEndpoint s = e.source();
        return new Candidate(e.endpoint(), SliceEndpoint.of(
                s.address(), nodeName, s.ready(), s.serving(), s.terminating(), nodeHints, zoneHints));
    }

    private static Candidate local(Candidate e) {
        return with(e, "node-a", e.source().nodeHints(), e.source().zoneHints());
    }

    private static Candidate zones(Candidate e, String... zones) {
        return with(e, e.source().nodeName(), e.source().nodeHints(), Set.of(zones));
    }

    private static Candidate nodes(Candidate e, String... nodes) {
        return with(e, e.source().nodeName(), Set.of(nodes), e.source().zoneHints());
    }

    private static List<Endpoint> eps(String... ips) {
        return Arrays.stream(ips).map(ip -> Endpoint.of(ip, 80)).toList();
    }

    private static Arguments set(String name, List<Candidate> in, List<Endpoint> cluster, List<Endpoint> local) {
        return Arguments.argumentSet(name, NODE, in, cluster, local);
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                set("no endpoints: refuse everything", List.of(), eps(), eps()),
                set("ready endpoints only; not-ready ones dropped",
                        List.of(ready("10.0.0.1"), notReady("10.0.0.2"), servingTerminating("10.0.0.3")),
                        eps("10.0.0.1"), eps()),
                set("no ready: serving+terminating fallback, not-serving terminating and serving-not-ready excluded",
                        List.of(servingTerminating("10.0.0.1"), terminatingNotServing("10.0.0.2"), servingNotReady("10.0.0.3"),
                                notReady("10.0.0.4")),
                        eps("10.0.0.1"), eps()),
                set("local ready wins over local terminating",
                        List.of(local(ready("10.0.0.1")), local(servingTerminating("10.0.0.2")), ready("10.0.0.3")),
                        eps("10.0.0.1", "10.0.0.3"), eps("10.0.0.1")),
                set("local terminating fallback while other nodes are ready",
                        List.of(local(servingTerminating("10.0.0.1")), ready("10.0.0.2")),
                        eps("10.0.0.2"), eps("10.0.0.1")),
                set("local not-serving terminating is not a fallback",
                        List.of(local(terminatingNotServing("10.0.0.1")), ready("10.0.0.2")),
                        eps("10.0.0.2"), eps()),
                set("nothing local: local traffic refused", List.of(ready("10.0.0.1")), eps("10.0.0.1"), eps()),
                set("zone hints: all ready hinted and one matches -> same zone only",
                        List.of(zones(ready("10.0.0.1"), "zone-a"), zones(ready("10.0.0.2"), "zone-b"), notReady("10.0.0.3")),
                        eps("10.0.0.1"), eps()),
                set("zone hints: one ready endpoint without hint -> no filter",
                        List.of(zones(ready("10.0.0.1"), "zone-a"), ready("10.0.0.2")),
                        eps("10.0.0.1", "10.0.0.2"), eps()),
                set("zone hints: none names this zone -> no filter",
                        List.of(zones(ready("10.0.0.1"), "zone-b"), zones(ready("10.0.0.2"), "zone-c")),
                        eps("10.0.0.1", "10.0.0.2"), eps()),
                set("node hints: all ready hinted and one names this node -> same node only",
                        List.of(nodes(zones(ready("10.0.0.1"), "zone-b"), "node-a"),
                                nodes(zones(ready("10.0.0.2"), "zone-a"), "node-b")),
                        eps("10.0.0.1"), eps()),
                set("node hints: one missing -> falls back to zone hints",
                        List.of(nodes(zones(ready("10.0.0.1"), "zone-b"), "node-a"), zones(ready("10.0.0.2"), "zone-a")),
                        eps("10.0.0.2"), eps()),
                set("node hints: none names this node -> falls back to zone hints",
                        List.of(nodes(zones(ready("10.0.0.1"), "zone-a"), "node-c"),
                                nodes(zones(ready("10.0.0.2"), "zone-b"), "node-b")),
                        eps("10.0.0.1"), eps()),
                set("hints of not-ready endpoints do not count",
                        List.of(zones(ready("10.0.0.1"), "zone-a"), zones(ready("10.0.0.2"), "zone-b"), notReady("10.0.0.3"),
                                servingTerminating("10.0.0.4")),
                        eps("10.0.0.1"), eps()),
                set("terminating fallback ignores topology",
                        List.of(zones(servingTerminating("10.0.0.1"), "zone-a"), zones(servingTerminating("10.0.0.2"), "zone-b")),
                        eps("10.0.0.1", "10.0.0.2"), eps()),
                set("local traffic ignores topology",
                        List.of(local(zones(ready("10.0.0.1"), "zone-b")), zones(ready("10.0.0.2"), "zone-a")),
                        eps("10.0.0.2"), eps("10.0.0.1")),
                Arguments.argumentSet("node without zone label: zone hints ignored", NODE_WITHOUT_ZONE,
                        List.of(zones(ready("10.0.0.1"), "zone-a"), zones(ready("10.0.0.2"), "zone-b")),
                        eps("10.0.0.1", "10.0.0.2"), eps()));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void categorizesLikeKubeProxy(NodeInfo node, List<Candidate> in, List<Endpoint> cluster, List<Endpoint> local) {
        EndpointFilter.Usable usable = EndpointFilter.categorize(in, node);
        assertEquals(cluster, usable.cluster(), "cluster");
        assertEquals(local, usable.local(), "local");
    }

    static Stream<Arguments> conditions() {
        return Stream.of(
                Arguments.argumentSet("unset conditions", null, true, true, false),
                Arguments.argumentSet("all nil", new V1EndpointConditions(), true, true, false),
                Arguments.argumentSet("explicit", new V1EndpointConditions().ready(false).serving(true).terminating(true),
                        false, true, true),
                Arguments.argumentSet("explicit false", new V1EndpointConditions().ready(true).serving(false).terminating(false),
                        true, false, false));
    }

    @ParameterizedTest
    @MethodSource("conditions")
    void readsConditionsAsKubeProxyDoes(V1EndpointConditions c, boolean ready, boolean serving, boolean terminating) {
        V1EndpointSlice slice = Fixtures.slice("web-1", "web")
                .addEndpointsItem(new V1Endpoint().addAddressesItem("10.0.0.1").conditions(c));
        SliceEndpoint info = CachedSlice.of(slice).endpoints().get(0);
        assertEquals(List.of(ready, serving, terminating), List.of(info.ready(), info.serving(), info.terminating()));
    }
}
