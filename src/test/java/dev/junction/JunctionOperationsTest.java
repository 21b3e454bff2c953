package dev.junction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.junction.config.NodePortAddresses;
import dev.junction.config.ProxyConfig;
import dev.junction.model.Cidr;
import dev.junction.testing.Conditions;
import dev.junction.testing.Http;
import dev.junction.testing.Kubeconfigs;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole proxy's health and metrics ports as kube-proxy's clients use them: probes, their counters, the
 * mode and the configuration.
 */
class JunctionOperationsTest {

    @TempDir
    Path dir;

    /** Answers per "path code", counted as kube-proxy's healthcheck_test.go tracks them against its counters. */
    private final Map<String, AtomicInteger> answers = new ConcurrentHashMap<>();

    private HttpResponse<String> probe(InetSocketAddress server, String path) {
        HttpResponse<String> response = Http.get(server, path);
        answers.computeIfAbsent(path + " " + response.statusCode(), k -> new AtomicInteger()).incrementAndGet();
        return response;
    }

    private double answered(String path, int code) {
        AtomicInteger n = answers.get(path + " " + code);
        return n == null ? 0 : n.get();
    }

    /**
     * Issue 13 item 5: a DaemonSet rolled out with a wrong API address must fail readiness on the first node.
     * /healthz fails from the start (kube-proxy's NodeEligible is false while it has no Node); /livez, which
     * only looks at the queue (TestLivezServer), fails once the first sync is 2 × sync period late.
     */
    @Test
    void apiServerUnreachableFromTheStartFailsHealthzAtOnceAndLivezAfterTheLimit() throws Exception {
        int nothingListens;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            nothingListens = s.getLocalPort();
        }
        Path kubeconfig = Kubeconfigs.write(dir.resolve("kubeconfig"), "http://127.0.0.1:" + nothingListens);
        ProxyConfig config = ProxyConfig.builder().kubeconfig(kubeconfig).capture(ProxyConfig.CaptureMode.NONE)
                .nodeName("node-a").workers(1).idleTimeout(Duration.ZERO).syncPeriod(Duration.ofSeconds(1))
                .healthzBindAddress("127.0.0.1:0").metricsBindAddress("127.0.0.1:0").build();
        try (Junction junction = new Junction(config).start()) {
            InetSocketAddress health = junction.healthAddress();
            Conditions.await("/healthz to answer 503", () -> probe(health, "/healthz").statusCode() == 503);
            JsonObject body = JsonParser.parseString(probe(health, "/healthz").body()).getAsJsonObject();
            assertFalse(body.get("healthy").getAsBoolean());
            assertFalse(body.get("nodeEligible").getAsBoolean(), "this node's Node object was never read");
            assertEquals("0001-01-01T00:00:00Z", body.get("lastUpdated").getAsString(), "never updated");

            Conditions.await("/livez to answer 503 once the first sync is late",
                    () -> probe(health, "/livez").statusCode() == 503);

            String metrics = Http.get(junction.metricsAddress(), "/metrics").body();
            for (String path : List.of("/healthz", "/livez")) {
                String name = "kubeproxy_proxy_" + path.substring(1) + "_total";
                for (int code : new int[] {200, 503}) {
                    assertEquals(answered(path, code), Http.sample(metrics, name, "code", Integer.toString(code)),
                            name + "{code=\"" + code + "\"}");
                }
            }
            assertEquals(0, answered("/healthz", 200), "never ready");
        }
    }

    /** kube-proxy's metrics port also serves /proxyMode (plain text) and /configz (its configuration as JSON). */
    @Test
    void metricsPortServesProxyModeAndTheConfigurationInUse() throws Exception {
        Path manifests = Files.createDirectory(dir.resolve("manifests"));
        ProxyConfig config = ProxyConfig.builder().manifests(manifests).capture(ProxyConfig.CaptureMode.NONE)
                .nodeName("node-a").workers(1).syncPeriod(Duration.ofSeconds(90)).udpIdleTimeout(Duration.ofSeconds(45))
                .nodePortAddresses(new NodePortAddresses(List.of(Cidr.parse("127.0.0.0/8")), false))
                .clusterCidrs(List.of(Cidr.parse("10.244.0.0/16"))).healthzBindAddress("")
                .metricsBindAddress("127.0.0.1:0").build();
        try (Junction junction = new Junction(config).start()) {
            HttpResponse<String> mode = Http.get(junction.metricsAddress(), "/proxyMode");
            assertEquals(200, mode.statusCode());
            assertEquals("text/plain; charset=utf-8", mode.headers().firstValue("Content-Type").orElse(""));
            assertEquals("userspace", mode.body());

            HttpResponse<String> configz = Http.get(junction.metricsAddress(), "/configz");
            assertEquals(200, configz.statusCode());
            assertEquals("application/json", configz.headers().firstValue("Content-Type").orElse(""));
            JsonObject kubeProxy = JsonParser.parseString(configz.body()).getAsJsonObject()
                    .getAsJsonObject("kubeproxy.config.k8s.io");
            assertEquals("KubeProxyConfiguration", kubeProxy.get("kind").getAsString());
            assertEquals("kubeproxy.config.k8s.io/v1alpha1", kubeProxy.get("apiVersion").getAsString());
            assertEquals("node-a", kubeProxy.get("hostnameOverride").getAsString());
            assertEquals("", kubeProxy.get("healthzBindAddress").getAsString(), "not served");
            assertEquals("127.0.0.1:0", kubeProxy.get("metricsBindAddress").getAsString());
            assertEquals("userspace", kubeProxy.get("mode").getAsString());
            assertEquals("1m30s", kubeProxy.get("syncPeriod").getAsString(), "durations as Go writes them");
            assertEquals("45s", kubeProxy.getAsJsonObject("conntrack").get("udpTimeout").getAsString());
            assertEquals("127.0.0.0/8", kubeProxy.getAsJsonArray("nodePortAddresses").get(0).getAsString());
            assertEquals("10.244.0.0/16", kubeProxy.get("clusterCIDR").getAsString());
            assertEquals("ClusterCIDR", kubeProxy.get("detectLocalMode").getAsString(), "kube-proxy's default with a CIDR");
            JsonObject own = kubeProxy.getAsJsonObject("junction");
            assertEquals(manifests.toString(), own.get("manifests").getAsString());
            assertEquals("none", own.get("capture").getAsString());
            assertEquals(1, own.get("workers").getAsInt());
        }
    }
}
