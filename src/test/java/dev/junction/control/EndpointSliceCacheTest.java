package dev.junction.control;

import static dev.junction.control.Fixtures.ep;
import static dev.junction.control.Fixtures.slice;
import static dev.junction.control.Fixtures.slicePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kubernetes.client.openapi.models.V1EndpointSlice;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

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
    void anEndpointChangeAffectsItsService() {
        EndpointSliceCache cache = new EndpointSliceCache();
        cache.upsert(webSlice("web-1", "10.1.0.1"));
        V1EndpointSlice changed = webSlice("web-1", "10.1.0.2");
        assertEquals(Set.of(WEB), cache.upsert(changed));
        assertEquals(List.of(changed), List.copyOf(cache.slices(WEB)));
    }

    @Test
    void groupsSlicesOfOneServiceInNameOrder() {
        EndpointSliceCache cache = new EndpointSliceCache();
        V1EndpointSlice second = webSlice("web-b", "10.1.0.2");
        V1EndpointSlice first = webSlice("web-a", "10.1.0.1");
        cache.upsert(second);
        cache.upsert(first);
        cache.upsert(slice("api-1", "api"));
        assertEquals(List.of(first, second), List.copyOf(cache.slices(WEB)));
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
        assertEquals(List.of(moved), List.copyOf(cache.slices(API)));
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
    void deleteByObjectOrNameAffectsTheHeldService() {
        EndpointSliceCache cache = new EndpointSliceCache();
        cache.upsert(webSlice("web-1", "10.1.0.1"));
        cache.upsert(webSlice("web-2", "10.1.0.2"));
        V1EndpointSlice staleLabel = webSlice("web-1", "10.1.0.1");
        staleLabel.getMetadata().putLabelsItem(EndpointSliceCache.SERVICE_NAME_LABEL, "api");
        assertEquals(Set.of(WEB), cache.delete(staleLabel));
        assertEquals(Set.of(), cache.delete(staleLabel));
        assertEquals(Set.of(WEB), cache.delete("ns", "web-2"));
        assertTrue(cache.slices(WEB).isEmpty());
    }
}
