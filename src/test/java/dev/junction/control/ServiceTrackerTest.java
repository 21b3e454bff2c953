package dev.junction.control;

import dev.junction.source.ServiceProxyLabels;
import static dev.junction.control.Fixtures.port;
import static dev.junction.control.Fixtures.service;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kubernetes.client.openapi.models.V1LoadBalancerIngress;
import io.kubernetes.client.openapi.models.V1LoadBalancerStatus;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServiceStatus;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ServiceTrackerTest {

    private static final ServiceKey WEB = new ServiceKey("ns", "web");

    private static V1Service web() {
        return service("web", port("http", 80));
    }

    @Test
    void redeliveryOfAnEqualServiceIsANoOp() {
        ServiceTracker tracker = new ServiceTracker();
        assertTrue(tracker.upsert(web()));
        V1Service relisted = web();
        relisted.getMetadata().resourceVersion("2").putAnnotationsItem("kubectl.kubernetes.io/last-applied", "{}");
        assertFalse(tracker.upsert(relisted));
        assertEquals(Set.of(WEB), tracker.keys());
    }

    static Stream<Arguments> relevantChanges() {
        return Stream.of(
                Arguments.argumentSet("spec port", (Consumer<V1Service>) s -> s.getSpec().getPorts().get(0).port(81)),
                Arguments.argumentSet("traffic policy", (Consumer<V1Service>) s -> s.getSpec().internalTrafficPolicy("Local")),
                Arguments.argumentSet("proxy-name label",
                        (Consumer<V1Service>) s -> s.getMetadata().putLabelsItem(ServiceProxyLabels.SERVICE_PROXY_NAME, "x")),
                Arguments.argumentSet("headless label",
                        (Consumer<V1Service>) s -> s.getMetadata().putLabelsItem(ServiceProxyLabels.HEADLESS, "")),
                Arguments.argumentSet("lb annotation",
                        (Consumer<V1Service>) s -> s.getMetadata().putAnnotationsItem(RouteBuilder.LB_ANNOTATION, "round-robin")),
                Arguments.argumentSet("load balancer status", (Consumer<V1Service>) s -> s.status(new V1ServiceStatus()
                        .loadBalancer(new V1LoadBalancerStatus().addIngressItem(new V1LoadBalancerIngress().ip("192.0.2.1"))))));
    }

    @ParameterizedTest
    @MethodSource("relevantChanges")
    void reportsAChangeInAFieldRoutingReads(Consumer<V1Service> change) {
        ServiceTracker tracker = new ServiceTracker();
        tracker.upsert(web());
        V1Service changed = web();
        change.accept(changed);
        assertTrue(tracker.upsert(changed));
        assertSame(changed, tracker.get(WEB));
    }

    @Test
    void ignoresLabelsAndAnnotationsRoutingDoesNotRead() {
        ServiceTracker tracker = new ServiceTracker();
        tracker.upsert(web());
        V1Service changed = web();
        changed.getMetadata().putLabelsItem("app", "web").putAnnotationsItem("owner", "team-a");
        assertFalse(tracker.upsert(changed));
    }

    @Test
    void deleteForgetsTheServiceOnce() {
        ServiceTracker tracker = new ServiceTracker();
        tracker.upsert(web());
        assertTrue(tracker.delete(WEB));
        assertFalse(tracker.delete(WEB));
        assertNull(tracker.get(WEB));
        assertTrue(tracker.keys().isEmpty());
    }
}
