package dev.junction.control;

import static dev.junction.control.Fixtures.ep;
import static dev.junction.control.Fixtures.port;
import static dev.junction.control.Fixtures.slice;
import static dev.junction.control.Fixtures.slicePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Service;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What each recorded event returns, and which Services it leaves to rebuild. */
class ChangeTrackerTest {

    private static final ServiceKey WEB = new ServiceKey("ns", "web");
    private static final ServiceKey API = new ServiceKey("ns", "api");

    private final InContext in = new InContext();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final ChangeTracker changes = new ChangeTracker(in.context,
            new NodeState(in.context, Fixtures.THIS_NODE, List.of()), new ControlPlaneMetrics(meters));

    private Set<ServiceKey> record(Event e) {
        return in.call(() -> changes.record(e));
    }

    private static Event upsert(KubernetesObject o) {
        return new Event.Upsert(o, System.nanoTime());
    }

    @Test
    void aChangeReturnsTheServicesItChangedAndAReDeliveryNone() {
        V1Service web = Fixtures.service("web", port("http", 80));
        V1EndpointSlice slice = slice("web-1", "web", slicePort("http", 8080)).addEndpointsItem(ep("10.1.0.1"));
        assertEquals(Set.of(WEB), record(upsert(web)));
        assertEquals(Set.of(WEB), record(upsert(slice)));
        assertEquals(Set.of(), record(upsert(web)), "an unchanged Service");
        assertEquals(Set.of(), record(upsert(slice)), "an unchanged slice");
        assertEquals(Set.of(WEB), changes.dirty());
        assertEquals(1.0, meters.get("kubeproxy.sync.proxy.rules.service.changes").counter().count());
        assertEquals(1.0, meters.get("kubeproxy.sync.proxy.rules.endpoint.changes").counter().count());

        assertEquals(Set.of(WEB), record(new Event.Delete(slice, System.nanoTime())));
        assertTrue(changes.slices(WEB).isEmpty());
    }

    @Test
    void aChangeToThisNodesZoneLeavesEveryServiceToRebuild() {
        record(upsert(Fixtures.service("web", port("http", 80))));
        record(upsert(Fixtures.service("api", port("http", 80))));
        in.call(() -> {
            changes.rebuilt();
            return null;
        });
        assertTrue(changes.dirty().isEmpty());

        V1Node node = new V1Node().metadata(new V1ObjectMeta().name(Fixtures.THIS_NODE)
                .putLabelsItem(NodeInfo.ZONE_LABEL, "zone-b"));
        assertEquals(Set.of(), record(upsert(node)), "no Service changed on its own");
        assertEquals(Set.of(WEB, API), changes.dirty());
    }

    @Test
    void recordingOutsideTheControlContextThrows() {
        assertThrows(IllegalStateException.class,
                () -> changes.record(upsert(Fixtures.service("web", port("http", 80)))));
    }
}
