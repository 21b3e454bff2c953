package dev.junction.control;

import static dev.junction.control.Fixtures.ep;
import static dev.junction.control.Fixtures.port;
import static dev.junction.control.Fixtures.slice;
import static dev.junction.control.Fixtures.slicePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.capture.Capture;
import dev.junction.dataplane.Transport;
import dev.junction.dataplane.tcp.TcpDataPlane;
import dev.junction.dataplane.tcp.TcpOptions;
import dev.junction.lb.ServiceBalancer;
import dev.junction.model.LbPolicy;
import dev.junction.model.Protocol;
import dev.junction.observe.ProxyMetrics;
import dev.junction.testing.Http;
import dev.junction.testing.Conditions;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1Service;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The control plane records kube-proxy's sync metrics and Junction's event-to-live latency. */
class ControlPlaneMetricsTest {

    // Scraped as Prometheus does, so the series' names and labels are the ones checked.
    private final ProxyMetrics exposition = new ProxyMetrics(0, false);
    private final MeterRegistry meters = exposition.registry();
    private Transport transport;
    private ControlPlane control;
    private int vipPort;

    @BeforeEach
    void setUp() throws IOException {
        transport = Transport.create(Transport.Kind.AUTO, 1);
        TcpDataPlane tcp = new TcpDataPlane(transport, new TcpOptions(Duration.ofSeconds(1), 3, Duration.ZERO));
        control = new ControlPlane("node-a", List.of(), LbPolicy.ROUND_ROBIN, Map.of(Protocol.TCP, tcp),
                Capture.none(), ServiceBalancer::create, meters);
        exposition.bindNoLocalEndpoints(control::internalWithoutLocalEndpoints, control::externalWithoutLocalEndpoints);
        control.start();
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByAddress(new byte[] {127, 0, 8, 1}))) {
            vipPort = s.getLocalPort();
        }
    }

    @AfterEach
    void tearDown() {
        control.close();
        transport.close();
        exposition.close();
    }

    private Double scraped(String name, String... labels) {
        return Http.sample(exposition.scrape(ProxyMetrics.TEXT), name, labels);
    }

    private void applyAndWait(Runnable change) {
        long before = control.appliedBatches();
        change.run();
        control.flush();
        Conditions.await("the change to apply", () -> control.appliedBatches() > before);
    }

    @Test
    void triggerTimesParseAsInstantParseDoes() {
        // kube-proxy reads endpoints.kubernetes.io/last-change-trigger-time with time.Parse(time.RFC3339Nano);
        // the hand-read common form and Instant.parse's fallback must agree on every text, refusals included.
        List<String> texts = List.of("2026-12-08T03:37:01Z", "2026-12-08T03:37:01.5Z",
                "2026-12-08T03:37:01.123456789Z",
                "1970-01-01T00:00:00.000000001Z", "2024-02-29T23:59:59.999Z", "2023-02-29T10:00:00Z",
                "2026-13-01T00:00:00Z", "2026-12-08T24:00:00Z", "2026-12-08T23:59:60Z", "2026-12-08T03:37:01.Z",
                "2026-12-08T03:37:01.1234567891Z", "2026-12-08T03:37:01+01:00", "2026-12-08t03:37:01Z",
                "2026-12-08T03:3x:01Z", "+12026-12-08T03:37:01Z", "2026-04-31T00:00:00Z", "not a time");
        for (String text : texts) {
            Object expected;
            try {
                expected = Instant.parse(text);
            } catch (java.time.format.DateTimeParseException e) {
                expected = "refused";
            }
            Object actual;
            try {
                actual = ControlPlaneMetrics.parseTriggerTime(text);
            } catch (java.time.format.DateTimeParseException e) {
                actual = "refused";
            }
            assertEquals(expected, actual, text);
        }
    }

    @Test
    void recordsSyncDurationLatenciesAndChangeCounts() {
        V1Service web = Fixtures.service("web", port("http", vipPort));
        web.getSpec().clusterIP("127.0.8.1").clusterIPs(List.of("127.0.8.1"));
        applyAndWait(() -> {
            control.upsert(web);
            control.synced();
        });
        assertEquals(1, meters.timer("kubeproxy.sync.proxy.rules.duration").count());
        assertEquals(0, meters.timer("junction.event.to.live.duration").count(), "the initial sync is not a change");

        V1EndpointSlice slice = slice("web-1", "web", slicePort("http", 9000)).addEndpointsItem(ep("127.0.0.1"));
        slice.getMetadata().putAnnotationsItem(ControlPlaneMetrics.TRIGGER_TIME_ANNOTATION,
                Instant.now().minusSeconds(2).minusNanos(700_000).toString());
        applyAndWait(() -> control.upsert(slice));
        assertEquals(1, meters.timer("kubeproxy.network.programming.duration").count());
        // Kept to the microsecond: the trigger time carries nanoseconds, and changes go live in less than 1 ms.
        assertTrue(meters.timer("kubeproxy.network.programming.duration").max(TimeUnit.MICROSECONDS) >= 2_000_700,
                () -> meters.timer("kubeproxy.network.programming.duration").max(TimeUnit.MICROSECONDS) + " µs");
        assertEquals(1, meters.timer("junction.event.to.live.duration").count());
        assertEquals(1.0, meters.counter("kubeproxy.sync.proxy.rules.endpoint.changes").count());
        assertEquals(1.0, meters.counter("kubeproxy.sync.proxy.rules.service.changes").count());

        // A re-delivered, unchanged slice is no change and has no programming latency.
        applyAndWait(() -> control.upsert(slice));
        assertEquals(1.0, meters.counter("kubeproxy.sync.proxy.rules.endpoint.changes").count());
        assertEquals(1, meters.timer("kubeproxy.network.programming.duration").count());
        assertEquals(3, meters.timer("kubeproxy.sync.proxy.rules.duration").count());
    }

    /**
     * kube-proxy's *_changes_pending (servicechangetracker_test.go / endpointslicecache: changes recorded
     * and not yet synced): here queued in the control context or recorded before the first sync, 0 once live.
     */
    @Test
    void pendingChangesCountWhatIsQueuedOrUnsyncedUntilItIsLive() {
        V1Service web = Fixtures.service("web", port("http", vipPort));
        web.getSpec().clusterIP("127.0.8.1").clusterIPs(List.of("127.0.8.1"));
        V1EndpointSlice slice = slice("web-1", "web", slicePort("http", 9000)).addEndpointsItem(ep("127.0.0.1"));
        assertEquals(0.0, scraped("kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds"));
        double before = System.currentTimeMillis() / 1000.0;

        control.upsert(web);
        control.upsert(slice);
        assertEquals(1.0, scraped("kubeproxy_sync_proxy_rules_service_changes_pending"), "queued");
        assertEquals(1.0, scraped("kubeproxy_sync_proxy_rules_endpoint_changes_pending"), "queued");
        double queued = scraped("kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds");
        assertTrue(queued >= before && queued <= System.currentTimeMillis() / 1000.0, () -> "queued at " + queued);

        // Recorded but not applied: nothing is programmed before the first sync. A re-delivery is no change.
        control.upsert(slice);
        control.flush();
        Conditions.await("the batch to be recorded", () -> scraped("kubeproxy_sync_proxy_rules_endpoint_changes_pending"),
                v -> v == 1.0);
        assertEquals(1.0, scraped("kubeproxy_sync_proxy_rules_service_changes_pending"));

        applyAndWait(control::synced);
        assertEquals(0.0, scraped("kubeproxy_sync_proxy_rules_service_changes_pending"));
        assertEquals(0.0, scraped("kubeproxy_sync_proxy_rules_endpoint_changes_pending"));
    }

    /**
     * kube-proxy's no_local_endpoints_total (TestInternalTrafficPolicy / TestExternalTrafficPolicyLocal "no
     * local endpoints"): service ports with a Local policy that have endpoints, none on this node.
     */
    @Test
    void noLocalEndpointsCountsLocalPolicyServicesWithoutALocalEndpoint() {
        V1Service web = Fixtures.service("web", port("http", vipPort).nodePort(30080));
        web.getSpec().type("NodePort").clusterIP("127.0.8.1").clusterIPs(List.of("127.0.8.1"))
                .internalTrafficPolicy("Local").externalTrafficPolicy("Local");
        V1EndpointSlice elsewhere = slice("web-1", "web", slicePort("http", 9000)).addEndpointsItem(ep("127.0.0.1"));
        applyAndWait(() -> {
            control.upsert(web);
            control.upsert(elsewhere);
            control.synced();
        });
        assertEquals(1.0, scraped("kubeproxy_sync_proxy_rules_no_local_endpoints_total", "traffic_policy", "internal"));
        assertEquals(1.0, scraped("kubeproxy_sync_proxy_rules_no_local_endpoints_total", "traffic_policy", "external"));

        V1EndpointSlice here = slice("web-1", "web", slicePort("http", 9000))
                .addEndpointsItem(ep("127.0.0.1").nodeName("node-a"));
        here.getMetadata().resourceVersion("2");
        applyAndWait(() -> control.upsert(here));
        assertEquals(0.0, scraped("kubeproxy_sync_proxy_rules_no_local_endpoints_total", "traffic_policy", "internal"));
        assertEquals(0.0, scraped("kubeproxy_sync_proxy_rules_no_local_endpoints_total", "traffic_policy", "external"));

        // A ClusterIP Service is not reachable from outside: only its internal policy counts.
        V1Service internalOnly = Fixtures.service("web", port("http", vipPort));
        internalOnly.getSpec().clusterIP("127.0.8.1").clusterIPs(List.of("127.0.8.1")).internalTrafficPolicy("Local")
                .externalTrafficPolicy("Local");
        internalOnly.getMetadata().resourceVersion("2");
        applyAndWait(() -> {
            control.upsert(internalOnly);
            control.upsert(elsewhere);
        });
        assertEquals(1.0, scraped("kubeproxy_sync_proxy_rules_no_local_endpoints_total", "traffic_policy", "internal"));
        assertEquals(0.0, scraped("kubeproxy_sync_proxy_rules_no_local_endpoints_total", "traffic_policy", "external"));

        // No endpoint anywhere refuses the port; it is not counted as lacking a local one.
        applyAndWait(() -> control.delete(elsewhere));
        assertEquals(0.0, scraped("kubeproxy_sync_proxy_rules_no_local_endpoints_total", "traffic_policy", "internal"));
    }

    /**
     * kube-proxy's own buckets for its histograms (pkg/proxy/metrics/metrics.go), and 20 for Junction's,
     * rather than a percentile histogram's 119 series each.
     */
    @Test
    void histogramsHaveKubeProxysBucketsAndTwentyForJunctions() {
        try (ProxyMetrics metrics = new ProxyMetrics(0, false)) {
            new ControlPlaneMetrics(metrics.registry());
            String text = metrics.scrape(ProxyMetrics.TEXT);

            List<Double> sync = new ArrayList<>();
            for (int i = 0; i < 15; i++) {
                sync.add(0.001 * (1 << i));
            }
            sync.add(Double.POSITIVE_INFINITY);
            assertBounds(sync, Http.bucketBounds(text, "kubeproxy_sync_proxy_rules_duration_seconds"));

            // kube-proxy's, without its bucket at 0 (see ControlPlaneMetrics.programmingBuckets).
            List<Double> programming = new ArrayList<>(List.of(0.25, 0.5));
            for (int s = 1; s <= 59; s++) {
                programming.add((double) s);
            }
            for (int s = 60; s <= 115; s += 5) {
                programming.add((double) s);
            }
            for (int s = 120; s <= 300; s += 30) {
                programming.add((double) s);
            }
            programming.add(Double.POSITIVE_INFINITY);
            assertBounds(programming, Http.bucketBounds(text, "kubeproxy_network_programming_duration_seconds"));

            List<Double> eventToLive = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                eventToLive.add(0.00001 * (1 << i));
            }
            eventToLive.add(Double.POSITIVE_INFINITY);
            assertBounds(eventToLive, Http.bucketBounds(text, "junction_event_to_live_duration_seconds"));
        }
    }

    private static void assertBounds(List<Double> expected, List<Double> actual) {
        assertEquals(expected.size(), actual.size(), () -> "bounds " + actual);
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i), actual.get(i), Math.ulp(expected.get(i)) * 4, "bound " + i + " of " + actual);
        }
    }
}
