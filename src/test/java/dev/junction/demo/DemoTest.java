package dev.junction.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.config.ProxyConfig;
import dev.junction.testing.Clients;
import dev.junction.testing.Conditions;
import dev.junction.testing.Http;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The demo end to end: real HTTP through both demo Services reaches all three backends. */
class DemoTest {

    @Test
    void everyServiceSpreadsHeldConnectionsOverAllThreeBackends() throws Exception {
        try (Demo demo = new Demo().start(ProxyConfig.builder().workers(1), Demo.freeServicePort())) {
            // No probe connections: they would skew least-connections. The first applied batch holds the
            // whole initial state, so every listener is bound once it is done.
            Conditions.await("the manifests to be applied", () -> demo.junction().control().appliedBatches() > 0);
            for (String ip : Demo.CLUSTER_IPS) {
                InetSocketAddress vip = new InetSocketAddress(ip, demo.servicePort());
                // Three keep-alive connections held open at once: round-robin rotates over the three
                // backends, and least-connections must put each on the backend with none.
                List<Socket> held = new ArrayList<>();
                Set<String> backends = new HashSet<>();
                try {
                    for (int i = 0; i < 3; i++) {
                        Socket s = Clients.connect(vip);
                        held.add(s);
                        String body = get(s);
                        assertTrue(body.startsWith("backend-"), "response names its backend: " + body);
                        backends.add(body.substring(0, "backend-1".length()));
                    }
                } finally {
                    for (Socket s : held) {
                        s.close();
                    }
                }
                assertEquals(Set.of("backend-1", "backend-2", "backend-3"), backends, "served by " + vip);
            }
        }
    }

    @Test
    void startsTheHealthAndMetricsServersLikeRunSoDebugRoutesCanBeTried() throws Exception {
        ProxyConfig.Builder settings = ProxyConfig.builder().workers(1)
                .healthzBindAddress("127.0.0.1:0").metricsBindAddress("127.0.0.1:0");
        try (Demo demo = new Demo().start(settings, Demo.freeServicePort())) {
            Conditions.await("the manifests to be applied", () -> demo.junction().control().appliedBatches() > 0);
            assertEquals(200, Http.get(demo.junction().healthAddress(), "/healthz").statusCode());
            HttpResponse<String> routes = Http.get(demo.junction().metricsAddress(), "/debug/routes");
            assertEquals(200, routes.statusCode());
            for (String ip : Demo.CLUSTER_IPS) {
                assertTrue(routes.body().contains(ip), "/debug/routes lists " + ip + ": " + routes.body());
            }
        }
    }

    @Test
    void aTakenHealthOrMetricsPortMovesToAFreeOne() throws Exception {
        try (ServerSocket health = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                ServerSocket metrics = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            ProxyConfig.Builder settings = ProxyConfig.builder().workers(1)
                    .healthzBindAddress("127.0.0.1:" + health.getLocalPort())
                    .metricsBindAddress("127.0.0.1:" + metrics.getLocalPort());
            try (Demo demo = new Demo().start(settings, Demo.freeServicePort())) {
                InetSocketAddress movedHealth = demo.junction().healthAddress();
                InetSocketAddress movedMetrics = demo.junction().metricsAddress();
                assertNotEquals(health.getLocalPort(), movedHealth.getPort());
                assertNotEquals(metrics.getLocalPort(), movedMetrics.getPort());
                assertEquals(200, Http.get(movedMetrics, "/metrics").statusCode());
                assertEquals(InetAddress.getLoopbackAddress(), movedHealth.getAddress(), "same address, other port");
            }
        }
    }

    /** One HTTP/1.1 exchange on a connection that stays open; returns the body. */
    private static String get(Socket s) throws IOException {
        s.getOutputStream().write("GET / HTTP/1.1\r\nHost: demo\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        InputStream in = s.getInputStream();
        String status = Clients.readLine(in).strip();
        assertTrue(status.startsWith("HTTP/1.1 200"), "status: " + status);
        int length = -1;
        for (String line = Clients.readLine(in).strip(); !line.isEmpty(); line = Clients.readLine(in).strip()) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring("content-length:".length()).strip());
            }
        }
        assertTrue(length >= 0, "a Content-Length header");
        return new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }
}
