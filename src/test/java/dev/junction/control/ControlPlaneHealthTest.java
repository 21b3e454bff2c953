package dev.junction.control;

import static dev.junction.control.Fixtures.ep;
import static dev.junction.control.Fixtures.port;
import static dev.junction.control.Fixtures.service;
import static dev.junction.control.Fixtures.slice;
import static dev.junction.control.Fixtures.slicePort;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.junction.capture.Capture;
import dev.junction.dataplane.Transport;
import dev.junction.dataplane.tcp.TcpDataPlane;
import dev.junction.dataplane.tcp.TcpOptions;
import dev.junction.model.LbPolicy;
import dev.junction.model.Protocol;
import dev.junction.observe.HttpServiceHealthServer;
import dev.junction.observe.HealthServer;
import dev.junction.observe.HttpServers;
import dev.junction.observe.ProxyHealth;
import dev.junction.testing.Conditions;
import dev.junction.testing.Http;
import dev.junction.testing.ManualClock;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1NodeSpec;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1Taint;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * kube-proxy's health semantics through the real control context and HTTP: the queue decides {@code /livez}
 * and {@code /healthz}, this node's state decides {@code /healthz} too, and health-check node ports follow
 * the local endpoints. The clock is injected.
 */
class ControlPlaneHealthTest {

    private static final Duration LIMIT = Duration.ofSeconds(60);

    private final ManualClock clock = new ManualClock();
    private Transport transport;
    private HttpServers http;
    private ProxyHealth health;
    private HealthServer server;
    private HttpServiceHealthServer serviceHealth;
    private ControlPlane control;

    @BeforeEach
    void setUp() throws IOException {
        transport = Transport.create(Transport.Kind.AUTO, 1);
        TcpDataPlane tcp = new TcpDataPlane(transport, new TcpOptions(Duration.ofSeconds(1), 3, Duration.ZERO));
        control = new ControlPlane("node-a", LbPolicy.ROUND_ROBIN, Map.of(Protocol.TCP, tcp), Capture.none());
        http = new HttpServers(20_000);
        health = new ProxyHealth(clock, LIMIT);
        server = new HealthServer(http, new InetSocketAddress("127.0.0.1", 0), health, new SimpleMeterRegistry());
        serviceHealth = new HttpServiceHealthServer(http, InetAddress.getLoopbackAddress(), health);
        control.observe(health, serviceHealth);
        control.start();
    }

    @AfterEach
    void tearDown() {
        control.close();
        serviceHealth.close();
        server.close();
        http.close();
        transport.close();
    }

    private int status(String path) {
        return Http.get(server.localAddress(), path).statusCode();
    }

    @Test
    void unhealthyWhileAnUpdateStaysUnappliedPastTheLimitAndHealthyOnceApplied() {
        assertEquals(200, status("/healthz"));
        // Before the sources have synced nothing is applied: this update stays queued.
        control.upsert(service("web", port("http", 80)));
        control.flush();
        clock.advance(LIMIT.minusSeconds(1));
        assertEquals(200, status("/healthz"), "within the limit");
        assertEquals(200, status("/livez"));
        clock.advance(Duration.ofSeconds(2));
        HttpResponse<String> healthz = Http.get(server.localAddress(), "/healthz");
        assertEquals(503, healthz.statusCode());
        assertEquals(503, status("/livez"));
        JsonObject body = JsonParser.parseString(healthz.body()).getAsJsonObject();
        assertEquals(clock.now().toString(), body.get("currentTime").getAsString());
        assertEquals("0001-01-01T00:00:00Z", body.get("lastUpdated").getAsString(), "nothing applied yet");

        control.synced();
        control.flush();
        Conditions.await("the batch is applied", () -> status("/healthz") == 200);
        assertEquals(200, status("/livez"));
        body = JsonParser.parseString(Http.get(server.localAddress(), "/healthz").body()).getAsJsonObject();
        assertEquals(clock.now().toString(), body.get("lastUpdated").getAsString());
    }

    @Test
    void healthzFailsWhileThisNodeIsDrainedOrDeletedButLivezDoesNot() {
        control.synced();
        control.flush();
        Conditions.await("synced", () -> control.appliedBatches() > 0);
        V1Node node = new V1Node().metadata(new V1ObjectMeta().name("node-a"))
                .spec(new V1NodeSpec().addTaintsItem(
                        new V1Taint().key(NodeState.TO_BE_DELETED_TAINT).effect("NoSchedule")));
        control.upsert(node);
        control.flush();
        Conditions.await("/healthz fails for the autoscaler's taint", () -> status("/healthz") == 503);
        assertEquals(200, status("/livez"));

        control.upsert(new V1Node().metadata(new V1ObjectMeta().name("node-a")));
        control.flush();
        Conditions.await("/healthz recovers when the taint goes", () -> status("/healthz") == 200);

        control.upsert(new V1Node().metadata(new V1ObjectMeta().name("node-b")
                .deletionTimestamp(OffsetDateTime.now())));
        control.upsert(new V1Node().metadata(new V1ObjectMeta().name("node-a")
                .deletionTimestamp(OffsetDateTime.now())));
        control.flush();
        Conditions.await("/healthz fails while this node is being deleted", () -> status("/healthz") == 503);
        assertEquals(200, status("/livez"));
    }

    /**
     * Issue 14: the manifest watcher died of an OutOfMemoryError and {@code /healthz} stayed 200 while no change was
     * applied again. A failed source is a change that never applies: health fails once the limit has passed, as
     * kube-proxy's does when its sync loop stops, and later batches (the maintenance thread's) do not clear it.
     */
    @Test
    void aFailedSourceFailsHealthOnceTheLimitPassesWhateverIsAppliedAfter() {
        troubleOutlastsTheLimitWhileBatchesApply(
                () -> control.failed("/manifests: the watcher failed: java.lang.OutOfMemoryError: Java heap space"));
        assertEquals(503, status("/healthz"));
        assertEquals(503, status("/livez"));
    }

    /**
     * Issue 18: after a token rotation the source could not authenticate, and {@code /healthz} stayed 200 while
     * no change was applied. A stalled source fails readiness once the limit passes, whatever other batches
     * apply meanwhile, and passes again once it follows; liveness stays up throughout (a restart would cut
     * every connection on the node and bring no credentials).
     */
    @Test
    void aStalledSourceFailsHealthOnceTheLimitPassesUntilItFollowsAgain() {
        troubleOutlastsTheLimitWhileBatchesApply(
                () -> control.stalled("Kubernetes API: cannot authenticate: API server answered 401: Unauthorized"));
        assertEquals(503, status("/healthz"));
        assertEquals(200, status("/livez"));

        control.resumed();
        assertEquals(200, status("/healthz"));
    }

    /**
     * After the first sync, reports {@code trouble}, then a later batch is applied within the limit (health still
     * 200: the limit has not passed), and the clock passes the limit.
     */
    private void troubleOutlastsTheLimitWhileBatchesApply(Runnable trouble) {
        control.synced();
        control.flush();
        Conditions.await("synced", () -> control.appliedBatches() > 0);
        long applied = control.appliedBatches();

        trouble.run();
        clock.advance(LIMIT.minusSeconds(1));
        control.upsert(service("web", port("http", 80)));
        control.flush();
        Conditions.await("a later batch", () -> control.appliedBatches() > applied);
        assertEquals(200, status("/healthz"), "within the limit");
        clock.advance(Duration.ofSeconds(2));
    }

    @Test
    void healthzFailsOnceShutdownBegins() {
        health.stopping();
        assertEquals(503, status("/healthz"));
        assertEquals(200, status("/livez"));
    }

    @Test
    void healthCheckNodePortFollowsLocalReadyEndpoints() throws IOException {
        int hcPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            hcPort = s.getLocalPort();
        }
        InetSocketAddress hc = new InetSocketAddress(InetAddress.getLoopbackAddress(), hcPort);
        V1Service lb = service("shop", port("http", 80));
        lb.getSpec().type("LoadBalancer").externalTrafficPolicy("Local").healthCheckNodePort(hcPort)
                .ipFamilies(List.of("IPv4"));
        control.upsert(lb);
        control.upsert(slices("10.0.0.1", "node-a"));
        control.synced();
        control.flush();
        Conditions.await("one local endpoint", () -> weight(hc).equals("1"));
        HttpResponse<String> r = Http.get(hc, "/");
        assertEquals(200, r.statusCode());
        JsonObject body = JsonParser.parseString(r.body()).getAsJsonObject();
        assertEquals("shop", body.getAsJsonObject("service").get("name").getAsString());
        assertEquals("ns", body.getAsJsonObject("service").get("namespace").getAsString());
        assertEquals(1, body.get("localEndpoints").getAsInt());
        assertEquals(true, body.get("serviceProxyHealthy").getAsBoolean());

        // Two local Ready endpoints and one elsewhere: weight 2.
        control.upsert(slices("10.0.0.1", "node-a", "10.0.0.2", "node-a", "10.0.0.3", "node-b"));
        control.flush();
        Conditions.await("two local endpoints", () -> weight(hc).equals("2"));
        assertEquals(200, Http.get(hc, "/").statusCode());

        // Only a remote endpoint left: 503 with weight 0, so the load balancer skips this node.
        control.upsert(slices("10.0.0.3", "node-b"));
        control.flush();
        Conditions.await("no local endpoint", () -> weight(hc).equals("0"));
        assertEquals(503, Http.get(hc, "/").statusCode());

        control.upsert(slices("10.0.0.4", "node-a"));
        control.flush();
        Conditions.await("a local endpoint is back", () -> Http.get(hc, "/").statusCode() == 200);

        // The Service stops being eTP Local: the port closes.
        V1Service cluster = service("shop", port("http", 80));
        cluster.getSpec().type("LoadBalancer").externalTrafficPolicy("Cluster").healthCheckNodePort(hcPort);
        control.upsert(cluster);
        control.flush();
        Conditions.await("the health check port is closed", () -> serviceHealth.serving() == 0);
    }

    private static String weight(InetSocketAddress hc) {
        try {
            return Http.get(hc, "/").headers().firstValue("X-Load-Balancing-Endpoint-Weight").orElse("");
        } catch (RuntimeException e) {
            return "unreachable";
        }
    }

    /** One slice of Service "shop" with endpoints given as address, node pairs. */
    private static V1EndpointSlice slices(String... addressAndNode) {
        V1EndpointSlice s = slice("shop-1", "shop", slicePort("http", 8080));
        for (int i = 0; i < addressAndNode.length; i += 2) {
            s.addEndpointsItem(ep(addressAndNode[i]).nodeName(addressAndNode[i + 1]));
        }
        return s;
    }
}
