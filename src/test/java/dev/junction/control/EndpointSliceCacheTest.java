package dev.junction.control;

import static dev.junction.control.Fixtures.ep;
import static dev.junction.control.Fixtures.slice;
import static dev.junction.control.Fixtures.slicePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kubernetes.client.openapi.models.V1EndpointConditions;
import io.kubernetes.client.openapi.models.V1EndpointHints;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1ForZone;
import io.kubernetes.client.openapi.models.V1ManagedFieldsEntry;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1ObjectReference;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class EndpointSliceCacheTest {

    private static final ServiceKey WEB = new ServiceKey("ns", "web");
    private static final ServiceKey API = new ServiceKey("ns", "api");

    private static V1EndpointSlice webSlice(String name, String ip) {
        return slice(name, "web", slicePort("http", 8080)).addEndpointsItem(ep(ip));
    }

    @Test
    void redeliveryOfAnEqualSliceIsANoOp() {
        EndpointSliceCache cache = new EndpointSliceCache();
        assertEquals(Set.of(WEB), cache.upsert(webSlice("web-1", "10.1.0.1")));
        V1EndpointSlice relisted = webSlice("web-1", "10.1.0.1");
        relisted.getMetadata().resourceVersion("2");
        assertEquals(Set.of(), cache.upsert(relisted));
    }

    @Test
    void redeliveryChangingOnlyWhatRoutingDoesNotReadIsANoOp() {
        EndpointSliceCache cache = new EndpointSliceCache();
        cache.upsert(webSlice("web-1", "10.1.0.1"));
        V1EndpointSlice relisted = webSlice("web-1", "10.1.0.1");
        relisted.getMetadata().resourceVersion("2").generation(7L)
                .putAnnotationsItem(ControlPlaneMetrics.TRIGGER_TIME_ANNOTATION, "2026-01-01T00:00:00Z")
                .putLabelsItem("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io")
                .addManagedFieldsItem(new V1ManagedFieldsEntry().manager("kube-controller-manager")
                        .operation("Update").time(OffsetDateTime.parse("2026-01-01T00:00:00Z")));
        // Only addresses[0] counts; hostname, zone and targetRef are not read either.
        relisted.getEndpoints().get(0).addAddressesItem("10.1.0.99").hostname("web-0").zone("zone-b")
                .targetRef(new V1ObjectReference().kind("Pod").name("web-0"));
        assertEquals(Set.of(), cache.upsert(relisted));
    }

    static Stream<Arguments> routingChanges() {
        return Stream.of(
                Arguments.argumentSet("ready", (Consumer<V1EndpointSlice>) s -> s.getEndpoints().get(0)
                        .conditions(new V1EndpointConditions().ready(false))),
                Arguments.argumentSet("serving", (Consumer<V1EndpointSlice>) s -> s.getEndpoints().get(0)
                        .conditions(new V1EndpointConditions().serving(false))),
                Arguments.argumentSet("terminating", (Consumer<V1EndpointSlice>) s -> s.getEndpoints().get(0)
                        .conditions(new V1EndpointConditions().terminating(true))),
                Arguments.argumentSet("node name", (Consumer<V1EndpointSlice>) s -> s.getEndpoints().get(0).nodeName("node-c")),
                Arguments.argumentSet("zone hint", (Consumer<V1EndpointSlice>) s -> s.getEndpoints().get(0)
                        .hints(new V1EndpointHints().addForZonesItem(new V1ForZone().name("zone-a")))),
                Arguments.argumentSet("first address", (Consumer<V1EndpointSlice>) s -> s.getEndpoints().get(0)
                        .addresses(List.of("10.1.0.2"))),
                Arguments.argumentSet("an endpoint more", (Consumer<V1EndpointSlice>) s -> s.addEndpointsItem(ep("10.1.0.2"))),
                Arguments.argumentSet("port number", (Consumer<V1EndpointSlice>) s -> s.getPorts().get(0).port(8081)),
                Arguments.argumentSet("port name", (Consumer<V1EndpointSlice>) s -> s.getPorts().get(0).name("web")),
                Arguments.argumentSet("port protocol", (Consumer<V1EndpointSlice>) s -> s.getPorts().get(0).protocol("UDP")),
                Arguments.argumentSet("address type", (Consumer<V1EndpointSlice>) s -> s.addressType("FQDN")));
    }

    @ParameterizedTest
    @MethodSource("routingChanges")
    void aChangeOfAnythingRoutingReadsIsAChange(Consumer<V1EndpointSlice> change) {
        EndpointSliceCache cache = new EndpointSliceCache();
        cache.upsert(webSlice("web-1", "10.1.0.1"));
        V1EndpointSlice changed = webSlice("web-1", "10.1.0.1");
        change.accept(changed);
        assertEquals(Set.of(WEB), cache.upsert(changed));
        assertEquals(List.of(CachedSlice.of(changed)), List.copyOf(cache.slices(WEB)));
    }

    @Test
    void anEndpointChangeAffectsItsService() {
        EndpointSliceCache cache = new EndpointSliceCache();
        cache.upsert(webSlice("web-1", "10.1.0.1"));
        V1EndpointSlice changed = webSlice("web-1", "10.1.0.2");
        assertEquals(Set.of(WEB), cache.upsert(changed));
        assertEquals(List.of(CachedSlice.of(changed)), List.copyOf(cache.slices(WEB)));
    }

    @Test
    void aChangedSliceKeepsTheInstancesOfItsUnchangedEndpoints() {
        EndpointSliceCache cache = new EndpointSliceCache();
        cache.upsert(webSlice("web-1", "10.1.0.1").addEndpointsItem(ep("10.1.0.2")).addEndpointsItem(ep("10.1.0.3")));
        List<SliceEndpoint> before = cache.slices(WEB).iterator().next().endpoints();
        V1EndpointSlice changed = webSlice("web-1", "10.1.0.1").addEndpointsItem(ep("10.1.0.2"))
                .addEndpointsItem(ep("10.1.0.3"));
        changed.getEndpoints().get(1).conditions(new V1EndpointConditions().ready(false));

        assertEquals(Set.of(WEB), cache.upsert(changed));
        CachedSlice held = cache.slices(WEB).iterator().next();
        assertEquals(CachedSlice.of(changed), held);
        assertSame(before.get(0), held.endpoints().get(0));
        assertNotSame(before.get(1), held.endpoints().get(1));
        assertSame(before.get(2), held.endpoints().get(2));
    }

    @Test
    void groupsSlicesOfOneServiceInNameOrder() {
        EndpointSliceCache cache = new EndpointSliceCache();
        V1EndpointSlice second = webSlice("web-b", "10.1.0.2");
        V1EndpointSlice first = webSlice("web-a", "10.1.0.1");
        cache.upsert(second);
        cache.upsert(first);
        cache.upsert(slice("api-1", "api"));
        assertEquals(List.of(CachedSlice.of(first), CachedSlice.of(second)), List.copyOf(cache.slices(WEB)));
        assertEquals(1, cache.slices(API).size());
    }

    @Test
    void sameServiceNameInAnotherNamespaceIsAnotherService() {
        EndpointSliceCache cache = new EndpointSliceCache();
        V1EndpointSlice other = webSlice("web-1", "10.1.0.1");
        other.getMetadata().namespace("other");
        assertEquals(Set.of(new ServiceKey("other", "web")), cache.upsert(other));
        assertTrue(cache.slices(WEB).isEmpty());
    }

    @Test
    void ignoresSlicesWithoutServiceNameLabel() {
        EndpointSliceCache cache = new EndpointSliceCache();
        V1EndpointSlice orphan = webSlice("web-1", "10.1.0.1");
        orphan.getMetadata().setLabels(null);
        assertEquals(Set.of(), cache.upsert(orphan));
        assertEquals(Set.of(), cache.delete(orphan));
    }

    @Test
    void relabelledSliceAffectsOldAndNewService() {
        EndpointSliceCache cache = new EndpointSliceCache();
        cache.upsert(webSlice("shared", "10.1.0.1"));
        V1EndpointSlice moved = webSlice("shared", "10.1.0.1");
        moved.getMetadata().putLabelsItem(EndpointSliceCache.SERVICE_NAME_LABEL, "api");
        assertEquals(Set.of(WEB, API), cache.upsert(moved));
        assertTrue(cache.slices(WEB).isEmpty());
        assertEquals(List.of(CachedSlice.of(moved)), List.copyOf(cache.slices(API)));
    }

    @Test
    void losingTheLabelRemovesTheSliceFromItsService() {
        EndpointSliceCache cache = new EndpointSliceCache();
        cache.upsert(webSlice("web-1", "10.1.0.1"));
        V1EndpointSlice unlabelled = webSlice("web-1", "10.1.0.1");
        unlabelled.getMetadata().getLabels().clear();
        assertEquals(Set.of(WEB), cache.upsert(unlabelled));
        assertTrue(cache.slices(WEB).isEmpty());
    }

    @Test
    void deleteGoesByNamespaceAndNameNotByTheDeletedObjectsLabel() {
        EndpointSliceCache cache = new EndpointSliceCache();
        cache.upsert(webSlice("web-1", "10.1.0.1"));
        cache.upsert(webSlice("web-2", "10.1.0.2"));
        V1EndpointSlice staleLabel = webSlice("web-1", "10.1.0.1");
        staleLabel.getMetadata().putLabelsItem(EndpointSliceCache.SERVICE_NAME_LABEL, "api");
        assertEquals(Set.of(WEB), cache.delete(staleLabel));
        assertEquals(Set.of(), cache.delete(staleLabel));
        V1EndpointSlice nameOnly = new V1EndpointSlice().metadata(new V1ObjectMeta().namespace("ns").name("web-2"));
        assertEquals(Set.of(WEB), cache.delete(nameOnly));
        assertTrue(cache.slices(WEB).isEmpty());
    }
}
