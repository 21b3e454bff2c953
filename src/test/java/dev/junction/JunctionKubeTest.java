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
import java.net.InetSocketAddress;
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
}
