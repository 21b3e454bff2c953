package dev.junction;

import static dev.junction.testing.Clients.reachable;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.config.ProxyConfig;
import dev.junction.testing.Clients;
import dev.junction.testing.Conditions;
import dev.junction.testing.FakeApiServer;
import dev.junction.testing.Http;
import dev.junction.testing.Kubeconfigs;
import dev.junction.testing.TestBackend;
import dev.junction.testing.TestPki;
import dev.junction.testing.TlsFront;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole proxy on the Kubernetes API source, configured by a kubeconfig file as an operator would. */
class JunctionKubeTest {

    @TempDir
    Path dir;

    /**
     * The API server refuses loopback endpoints, and tests send traffic only to loopback: the endpoint is a
     * documentation address (RFC 5737), never connected to; the live table shows it behind the listening VIP.
     */
    @Test
    void servesWhatTheApiServerHolds() throws Exception {
        InetSocketAddress vip = serve("192.0.2.10", 8080, (junction, served) -> {
            String routes = Http.get(junction.metricsAddress(), "/debug/routes").body();
            assertTrue(routes.contains("192.0.2.10:8080"), "/debug/routes lists the endpoint: " + routes);
        });
        assertEquals(false, reachable(vip), "listeners close with the proxy");
    }

    /**
     * Issue 14: an EndpointSlice endpoint 127.0.0.1:10249 made Junction's /debug/routes reachable from a
     * remote client. kube-apiserver refuses loopback endpoints (ValidateEndpointIP), and so does Junction's
     * API source: the Service listens but has no endpoint, so a connection is reset.
     */
    @Test
    void loopbackEndpointFromTheApiServerIsNotServed() throws Exception {
        try (TestBackend backend = TestBackend.start("b1")) {
            serve("127.0.0.1", backend.port(), (junction, served) -> Clients.assertReset(served));
        }
    }

    /**
     * Runs the proxy on a fake API server that holds Service shop/web (a loopback ClusterIP) and its slice with
     * one endpoint at {@code endpoint}:{@code port}, hands the proxy and the listening VIP to {@code check},
     * and returns the VIP.
     */
    private InetSocketAddress serve(String endpoint, int port, BiConsumer<Junction, InetSocketAddress> check)
            throws Exception {
        InetSocketAddress vip = Clients.unusedLoopbackVip();
        try (FakeApiServer api = FakeApiServer.start()) {
            api.apply("""
                    {"kind": "Service", "apiVersion": "v1", "metadata": {"name": "web", "namespace": "shop"},
                     "spec": {"clusterIP": "%s", "ports": [{"name": "http", "port": %d}]}}
                    """.formatted(vip.getAddress().getHostAddress(), vip.getPort()));
            api.apply("""
                    {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
                     "metadata": {"name": "web-1", "namespace": "shop", "labels": {"kubernetes.io/service-name": "web"}},
                     "addressType": "IPv4", "ports": [{"name": "http", "port": %d}],
                     "endpoints": [{"addresses": ["%s"]}]}
                    """.formatted(port, endpoint));
            Path kubeconfig = Kubeconfigs.write(dir.resolve("kubeconfig"), api.url());
            ProxyConfig config = ProxyConfig.builder().kubeconfig(kubeconfig).capture(ProxyConfig.CaptureMode.NONE)
                    .nodeName("node-a").workers(1).idleTimeout(Duration.ZERO)
                    .healthzBindAddress("").metricsBindAddress("127.0.0.1:0").build();
            try (Junction junction = new Junction(config).start()) {
                Conditions.await("the service to listen", () -> reachable(vip));
                check.accept(junction, vip);
            }
        }
        return vip;
    }

    /**
     * Issue 18 as it was found: HTTPS with HTTP/2 and the kubeconfig's CA, a tokenFile; the token rotated (file
     * rewritten, the old one refused, the watches dropped) and a Service created after the rotation was not served
     * 90 s later while /healthz stayed 200. Now it is served, and a token that stays refused fails /healthz once
     * the health limit (2 x sync period) has passed, until a token that works appears.
     */
    @Test
    void tokenRotationKeepsTheProxyFollowingAndARefusedTokenFailsHealth() throws Exception {
        TestPki pki = TestPki.create();
        try (FakeApiServer api = FakeApiServer.start(); TlsFront front = TlsFront.start(api, pki, false)) {
            api.apply("""
                    {"kind": "Node", "apiVersion": "v1", "metadata": {"name": "node-a"}}
                    """);
            Path token = Files.writeString(dir.resolve("token"), "old\n");
            api.acceptTokens("old");
            Path kubeconfig = Files.writeString(dir.resolve("kubeconfig"), """
                    apiVersion: v1
                    kind: Config
                    clusters: [{name: c, cluster: {server: "%s", certificate-authority-data: %s}}]
                    users: [{name: u, user: {tokenFile: %s}}]
                    contexts: [{name: x, context: {cluster: c, user: u}}]
                    current-context: x
                    """.formatted(front.url(), pki.caData(), token));
            ProxyConfig config = ProxyConfig.builder().kubeconfig(kubeconfig).capture(ProxyConfig.CaptureMode.NONE)
                    .nodeName("node-a").workers(1).idleTimeout(Duration.ZERO).syncPeriod(Duration.ofSeconds(1))
                    .healthzBindAddress("127.0.0.1:0").metricsBindAddress("").build();
            try (Junction junction = new Junction(config).start()) {
                Conditions.await("/healthz 200",
                        () -> Http.get(junction.healthAddress(), "/healthz").statusCode() == 200);

                Files.writeString(token, "new\n");
                api.acceptTokens("new");
                api.dropWatches();
                InetSocketAddress vip = Clients.unusedLoopbackVip();
                api.apply("""
                        {"kind": "Service", "apiVersion": "v1", "metadata": {"name": "after", "namespace": "shop"},
                         "spec": {"clusterIP": "%s", "ports": [{"name": "http", "port": %d}]}}
                        """.formatted(vip.getAddress().getHostAddress(), vip.getPort()));
                Conditions.await("the Service created after the rotation to listen", () -> reachable(vip));

                api.acceptTokens("elsewhere");
                api.dropWatches();
                Conditions.await("/healthz 503 while the token is refused",
                        () -> Http.get(junction.healthAddress(), "/healthz").statusCode() == 503);
                Files.writeString(token, "elsewhere\n");
                Conditions.await("/healthz 200 once a token works",
                        () -> Http.get(junction.healthAddress(), "/healthz").statusCode() == 200);
            }
        }
    }
}
