package dev.junction;

import static dev.junction.testing.Http.sample;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.junction.config.ProxyConfig;
import dev.junction.testing.Clients;
import dev.junction.testing.Conditions;
import dev.junction.testing.Http;
import dev.junction.testing.TestBackend;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The metrics port after real traffic: what the counters say is what the test sent. */
class JunctionMetricsTest {

    @TempDir
    Path manifests;

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    @Test
    void metricsCountWhatTheTrafficDid() throws Exception {
        TestBackend backend = TestBackend.start("b1");
        closeables.add(backend);
        InetSocketAddress vip = Clients.unusedLoopbackVip();
        // A dead endpoint beside the live one: connections that pick it first are retried on the live one.
        InetAddress dead = InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) 77});
        Files.writeString(manifests.resolve("web.yaml"), """
                apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: shop}
                spec:
                  clusterIP: %s
                  ports: [{name: http, port: %d, targetPort: 8080}]
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: web-1
                  namespace: shop
                  labels: {kubernetes.io/service-name: web}
                  annotations: {endpoints.kubernetes.io/last-change-trigger-time: "2020-01-01T00:00:00Z"}
                addressType: IPv4
                ports: [{name: http, port: %d, protocol: TCP}]
                endpoints:
                  - {addresses: ["%s"], conditions: {ready: true}}
                  - {addresses: ["%s"], conditions: {ready: true}}
                """.formatted(vip.getAddress().getHostAddress(), vip.getPort(), backend.port(),
                dead.getHostAddress(), backend.address().getHostAddress()));
        ProxyConfig config = ProxyConfig.builder().manifests(manifests).capture(ProxyConfig.CaptureMode.NONE)
                .nodeName("node-a").workers(2).idleTimeout(Duration.ZERO).healthzBindAddress("")
                .metricsBindAddress("127.0.0.1:0").shutdownGracePeriod(Duration.ofSeconds(5))
                .metricsMaxServices(100).metricsPerEndpoint(true).build();
        Junction junction = new Junction(config).start();
        closeables.add(junction);
        InetSocketAddress metrics = junction.metricsAddress();
        Conditions.await("the frontend listens", () -> canConnect(vip));

        int connections = 20;
        int payload = 1000;
        long toEndpoints = 0;
        long toClients = 0;
        byte[] data = new byte[payload];
        ThreadLocalRandom.current().nextBytes(data);
        for (int i = 0; i < connections; i++) {
            try (Socket s = Clients.connect(vip)) {
                OutputStream out = s.getOutputStream();
                InputStream in = s.getInputStream();
                String name = Clients.readLine(in);
                out.write(data);
                s.shutdownOutput();
                byte[] echoed = in.readAllBytes();
                assertEquals(payload, echoed.length);
                toEndpoints += payload;
                toClients += name.length() + 1 + echoed.length;
            }
        }

        String[] web = {"namespace", "shop", "service", "web", "port", "http", "protocol", "TCP"};
        // The batch records the sync's duration and time after the listener opens, so a client can
        // be served before they are written: wait for them with the connections.
        Conditions.await("every connection is closed and the sync is recorded", () -> {
            String t = scrape(metrics);
            return Arrays.asList(sample(t, "junction_service_connections_active", web),
                    sample(t, "kubeproxy_sync_proxy_rules_duration_seconds_count"),
                    sample(t, "kubeproxy_sync_proxy_rules_last_timestamp_seconds"));
        }, v -> Double.valueOf(0).equals(v.get(0)) && v.get(1) != null && v.get(1) >= 1
                && v.get(2) != null && v.get(2) > 0);
        String text = scrape(metrics);
        // The connection probing readiness above counts too.
        assertEquals(connections + 1, sample(text, "junction_service_connections_accepted_total", web));
        assertEquals(0.0, sample(text, "junction_service_connections_failed_total", web));
        assertEquals((double) toEndpoints,
                sample(text, "junction_service_bytes_total", concat(web, "direction", "to_endpoint")));
        long probeBytes = "b1\n".length();
        assertEquals((double) toClients + probeBytes,
                sample(text, "junction_service_bytes_total", concat(web, "direction", "to_client")));
        double retries = sample(text, "junction_service_connect_retries_total", web);
        assertTrue(retries >= 1, "the dead endpoint was tried and the connection retried: " + retries);
        assertTrue(sample(text, "junction_service_endpoint_ejections_total", web) >= 1);
        String liveEndpoint = backend.address().getHostAddress() + ":" + backend.port();
        assertEquals((double) connections + 1,
                sample(text, "junction_endpoint_connections_total", concat(web, "endpoint", liveEndpoint)));

        assertTrue(sample(text, "kubeproxy_sync_proxy_rules_service_changes_total") >= 1);
        assertTrue(sample(text, "kubeproxy_sync_proxy_rules_endpoint_changes_total") >= 1);
        assertNotNull(sample(text, "junction_event_to_live_duration_seconds_count"));
        assertNotNull(sample(text, "kubeproxy_network_programming_duration_seconds_count"));
        assertNotNull(sample(text, "jvm_memory_used_bytes", "area", "heap"));
        // kube-proxy's series beside its histograms: nothing is pending once the batch is live.
        assertEquals(0.0, sample(text, "kubeproxy_sync_proxy_rules_service_changes_pending"));
        assertEquals(0.0, sample(text, "kubeproxy_sync_proxy_rules_endpoint_changes_pending"));
        assertTrue(sample(text, "kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds")
                <= sample(text, "kubeproxy_sync_proxy_rules_last_timestamp_seconds"));
        assertEquals(0.0, sample(text, "kubeproxy_sync_proxy_rules_no_local_endpoints_total", "traffic_policy", "internal"));
        assertEquals(0.0, sample(text, "kubeproxy_sync_proxy_rules_no_local_endpoints_total", "traffic_policy", "external"));
        assertEquals(1.0, sample(text, "kubernetes_build_info"));
        assertTrue(sample(text, "process_open_fds") > 0);
        assertTrue(sample(text, "netty_allocator_direct_memory_used_bytes", "allocator", "dataplane") >= 0);
        assertEquals(0.0, sample(text, "junction_udp_datagrams_dropped_total"));
        assertEquals(0.0, sample(text, "junction_udp_sessions_active"));

        HttpResponse<String> open = Http.get(metrics, "/metrics", "application/openmetrics-text; version=1.0.0");
        assertTrue(open.headers().firstValue("Content-Type").orElse("").startsWith("application/openmetrics-text"));
        assertTrue(open.body().strip().endsWith("# EOF"), "OpenMetrics ends with # EOF");

        JsonObject routes = JsonParser.parseString(Http.get(metrics, "/debug/routes").body()).getAsJsonObject();
        JsonObject frontend = routes.getAsJsonArray("frontends").get(0).getAsJsonObject();
        assertEquals(vip.getAddress().getHostAddress() + ":" + vip.getPort() + "/TCP", frontend.get("frontend").getAsString());
        assertEquals("shop/web:http/TCP", frontend.get("service").getAsString());
        assertEquals("round-robin", frontend.get("policy").getAsString());
        JsonArray endpoints = frontend.getAsJsonArray("endpoints");
        assertEquals(2, endpoints.size());
        assertEquals(connections + 1, routes.getAsJsonArray("servicePorts").get(0).getAsJsonObject()
                .get("accepted").getAsInt());
    }

    @Test
    void servicePortsBeyondTheCapAreSummedUnderOther() throws Exception {
        String text = scrapeServices(3, 1, false);
        double own = 0;
        int series = 0;
        for (int i = 0; i < 3; i++) {
            Double v = sample(text, "junction_service_connections_accepted_total", "service", "s" + i);
            if (v != null) {
                own += v;
                series++;
            }
        }
        assertEquals(1, series, "one service port has series of its own");
        assertEquals(3.0, own + sample(text, "junction_service_connections_accepted_total", "service", "other"));
    }

    /**
     * What one node costs Prometheus: a 2-Service proxy's scrape stays under a bound an operator can plan
     * for (237 series; 451 with 119-bucket percentile histograms).
     */
    @Test
    void aSmallProxyExposesFewerThan250Series() throws Exception {
        String text = scrapeServices(2, 100, true);
        int series = Http.seriesCount(text);
        assertTrue(series < 250, () -> series + " series:\n" + text);
    }

    /**
     * Every series the Grafana dashboard and the alert rules in deploy/monitoring query is one a running proxy
     * exports (Prometheus's own {@code up} aside): a renamed metric breaks this test, not the dashboard.
     */
    @Test
    void dashboardAndAlertRulesQueryOnlyExportedSeries() throws Exception {
        Set<String> exported = new TreeSet<>(List.of("up"));
        scrapeServices(1, 100, false).lines().filter(l -> !l.startsWith("#") && !l.isBlank())
                .forEach(l -> exported.add(l.split("[{ ]", 2)[0]));
        List<String> queries = new ArrayList<>();
        JsonObject dashboard = JsonParser.parseString(Files.readString(Path.of("deploy/monitoring/grafana-dashboard.json")))
                .getAsJsonObject();
        for (var panel : dashboard.getAsJsonArray("panels")) {
            for (var target : panel.getAsJsonObject().getAsJsonArray("targets")) {
                queries.add(target.getAsJsonObject().get("expr").getAsString());
            }
        }
        Map<String, Object> rules = new org.yaml.snakeyaml.Yaml()
                .load(Files.readString(Path.of("deploy/monitoring/prometheus-rules.yaml")));
        for (Object group : (List<?>) ((Map<?, ?>) rules.get("spec")).get("groups")) {
            for (Object rule : (List<?>) ((Map<?, ?>) group).get("rules")) {
                queries.add((String) ((Map<?, ?>) rule).get("expr"));
            }
        }
        Set<String> queried = new TreeSet<>();
        for (String q : queries) {
            // Every query selects the job, so every series name in it is followed by a selector.
            assertTrue(q.contains("{job=\"junction\""), q);
            Matcher m = Pattern.compile("\\b([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*\\{").matcher(q);
            while (m.find()) {
                queried.add(m.group(1));
            }
        }
        assertTrue(queried.containsAll(List.of("kubeproxy_sync_proxy_rules_duration_seconds_bucket",
                "kubeproxy_network_programming_duration_seconds_bucket", "junction_service_endpoint_ejections_total",
                "junction_service_connections_failed_total", "junction_udp_datagrams_dropped_total", "up")), queried::toString);
        Set<String> missing = new TreeSet<>(queried);
        missing.removeAll(exported);
        assertEquals(Set.of(), missing, "queried but not exported");
    }

    /**
     * Starts a proxy of {@code services} Services (one port, one endpoint each), connects once to each, and
     * scrapes its metrics once the first batch is applied.
     */
    private String scrapeServices(int services, int metricsMaxServices, boolean perEndpoint) throws Exception {
        TestBackend backend = TestBackend.start("b1");
        closeables.add(backend);
        List<InetSocketAddress> vips = new ArrayList<>();
        for (int i = 0; i < services; i++) {
            InetSocketAddress vip = Clients.unusedLoopbackVip();
            vips.add(vip);
            Files.writeString(manifests.resolve("s" + i + ".yaml"), """
                    apiVersion: v1
                    kind: Service
                    metadata: {name: s%d, namespace: ns}
                    spec:
                      clusterIP: %s
                      ports: [{name: p, port: %d}]
                    ---
                    apiVersion: discovery.k8s.io/v1
                    kind: EndpointSlice
                    metadata: {name: s%d-1, namespace: ns, labels: {kubernetes.io/service-name: s%d}}
                    addressType: IPv4
                    ports: [{name: p, port: %d, protocol: TCP}]
                    endpoints: [{addresses: ["%s"]}]
                    """.formatted(i, vip.getAddress().getHostAddress(), vip.getPort(), i, i, backend.port(),
                    backend.address().getHostAddress()));
        }
        ProxyConfig config = ProxyConfig.builder().manifests(manifests).capture(ProxyConfig.CaptureMode.NONE)
                .nodeName("node-a").workers(1).idleTimeout(Duration.ZERO).healthzBindAddress("")
                .metricsBindAddress("127.0.0.1:0").shutdownGracePeriod(Duration.ofSeconds(5))
                .metricsMaxServices(metricsMaxServices).metricsPerEndpoint(perEndpoint).build();
        Junction junction = new Junction(config).start();
        closeables.add(junction);
        for (InetSocketAddress vip : vips) {
            Conditions.await("the frontend listens", () -> canConnect(vip));
        }
        // A listener serves as soon as it is bound, but the live routes the scrape reads record it only when
        // the control context finishes the batch; the first applied batch holds every file's objects.
        Conditions.await("the first batch to be applied", () -> junction.control().appliedBatches() > 0);
        return scrape(junction.metricsAddress());
    }

    private static String[] concat(String[] labels, String... more) {
        String[] all = new String[labels.length + more.length];
        System.arraycopy(labels, 0, all, 0, labels.length);
        System.arraycopy(more, 0, all, labels.length, more.length);
        return all;
    }

    private static String scrape(InetSocketAddress metrics) {
        HttpResponse<String> r = Http.get(metrics, "/metrics");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
        return r.body();
    }

    private static boolean canConnect(InetSocketAddress vip) {
        try (Socket s = Clients.connect(vip)) {
            return Clients.readLine(s.getInputStream()) != null;
        } catch (IOException e) {
            return false;
        }
    }
}
