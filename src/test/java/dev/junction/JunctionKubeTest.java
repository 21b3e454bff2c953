package dev.junction;

import static dev.junction.testing.Clients.backendName;
import static dev.junction.testing.Clients.reachable;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.junction.config.ProxyConfig;
import dev.junction.testing.Clients;
import dev.junction.testing.Conditions;
import dev.junction.testing.FakeApiServer;
import dev.junction.testing.Kubeconfigs;
import dev.junction.testing.TestBackend;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole proxy on the Kubernetes API source, configured by a kubeconfig file as an operator would. */
class JunctionKubeTest {

    @TempDir
    Path dir;

    @Test
    void servesWhatTheApiServerHolds() throws Exception {
        InetSocketAddress vip = Clients.unusedLoopbackVip();
        String ip = vip.getAddress().getHostAddress();
        int port = vip.getPort();
        try (FakeApiServer api = FakeApiServer.start(); TestBackend backend = TestBackend.start("b1")) {
            api.apply("""
                    {"kind": "Service", "apiVersion": "v1", "metadata": {"name": "web", "namespace": "shop"},
                     "spec": {"clusterIP": "%s", "ports": [{"name": "http", "port": %d}]}}
                    """.formatted(ip, port));
            api.apply("""
                    {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
                     "metadata": {"name": "web-1", "namespace": "shop", "labels": {"kubernetes.io/service-name": "web"}},
                     "addressType": "IPv4", "ports": [{"name": "http", "port": %d}],
                     "endpoints": [{"addresses": ["127.0.0.1"]}]}
                    """.formatted(backend.port()));
            Path kubeconfig = Kubeconfigs.write(dir.resolve("kubeconfig"), api.url());
            ProxyConfig config = ProxyConfig.builder().kubeconfig(kubeconfig).capture(ProxyConfig.CaptureMode.NONE)
                    .nodeName("node-a").workers(1).idleTimeout(Duration.ZERO)
                    .healthzBindAddress("").metricsBindAddress("").build();
            try (Junction junction = new Junction(config).start()) {
                Conditions.await("the service to listen", () -> reachable(vip));
                Conditions.awaitEquals("traffic to the backend", "b1", () -> backendName(vip));
            }
            assertEquals(false, reachable(vip), "listeners close with the proxy");
        }
    }

}
