package dev.junction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.config.ProxyConfig;
import dev.junction.testing.Clients;
import dev.junction.testing.Conditions;
import dev.junction.testing.Http;
import dev.junction.testing.Manifests;
import dev.junction.testing.SteadyConnections;
import dev.junction.testing.TestBackend;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two whole Junctions in this JVM on loopback: a second one started beside the first takes its listening
 * sockets over the handover socket after its own sync, under steady new connections, and the first drains.
 * Each Junction's manifests point the Service at a backend of its own, so every answer says who relayed it.
 */
class JunctionHandoverTest {

    @TempDir
    Path dir;

    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    private TestBackend backend(String name) throws IOException {
        TestBackend b = TestBackend.start(name);
        closing.add(b);
        return b;
    }

    private Junction start(String name, String manifests) throws IOException {
        return start(name, manifests, "127.0.0.1:0");
    }

    private Junction start(String name, String manifests, String healthz) throws IOException {
        Path m = Files.createDirectories(dir.resolve(name));
        Files.writeString(m.resolve("services.yaml"), manifests);
        ProxyConfig config = ProxyConfig.builder().manifests(m).capture(ProxyConfig.CaptureMode.NONE)
                .nodeName("node-a").workers(1).idleTimeout(Duration.ZERO).udpMaxSessions(1024)
                .transport(ProxyConfig.TransportMode.EPOLL).healthzBindAddress(healthz).metricsBindAddress("")
                .handoverSocket(dir.resolve("handover.sock")).shutdownGracePeriod(Duration.ofSeconds(30)).build();
        Junction j = new Junction(config).start();
        closing.add(j);
        return j;
    }

    @Test
    void aSecondJunctionTakesOverUnderLoadRefusingNoConnectionAndTheFirstDrains() throws Exception {
        TestBackend oldBackend = backend("old");
        TestBackend newBackend = backend("new");
        InetSocketAddress vip = Clients.unusedLoopbackVip();
        InetSocketAddress deleted = Clients.unusedLoopbackVip();
        // kube-proxy's health port is one per node: both Junctions are configured with the same one.
        InetSocketAddress healthAt = Clients.unusedLoopbackVip();
        String healthz = healthAt.getAddress().getHostAddress() + ":" + healthAt.getPort();
        Junction first = start("first", Manifests.serviceWithOneEndpoint("web", vip, oldBackend.address(),
                oldBackend.port()) + "---\n" + Manifests.serviceWithOneEndpoint("deleted", deleted,
                oldBackend.address(), oldBackend.port()), healthz);
        InetSocketAddress healthPort = first.healthAddress();
        Conditions.await("the first Junction serves", () -> Clients.reachable(vip));
        Conditions.await("and listens for a successor", () -> Files.exists(dir.resolve("handover.sock")));

        Socket longLived = Clients.connect(vip);
        closing.add(longLived);
        InputStream longIn = longLived.getInputStream();
        OutputStream longOut = longLived.getOutputStream();
        assertEquals("old", Clients.readLine(longIn));

        SteadyConnections load = new SteadyConnections(vip);
        closing.add(load);
        load.awaitServed("old", 100);

        // The second one's manifests no longer have the deleted Service.
        Junction second = start("second", Manifests.serviceWithOneEndpoint("web", vip, newBackend.address(),
                newBackend.port()), healthz);
        Conditions.await("the first is told it was handed over", first::handedOver);
        assertFalse(first.health().healthz().healthy(), "the first one's /healthz fails from the handover on");
        assertTrue(first.health().livez().healthy(), "its /livez stays up while it drains");
        assertTrue(second.health().healthz().healthy());
        assertEquals(healthPort, second.healthAddress(), "the second took the health server's socket too");
        // Until the first has closed its copy (moments after the handover), either may answer a probe.
        Conditions.await("the health port answers for the second",
                () -> Http.get(healthPort, "/healthz").statusCode() == 200);
        int oldAtSwitch = load.served("old");
        load.awaitServed("new", 300);
        assertEquals(List.of(), load.stop(), "no connection refused or reset across the handover");
        assertTrue(load.served("old") - oldAtSwitch <= 1, "after the switch the first accepted none (at most "
                + "the one in flight)");
        Clients.assertReset(deleted);

        longOut.write("still streaming\n".getBytes(StandardCharsets.US_ASCII));
        longOut.flush();
        assertEquals("still streaming", Clients.readLine(longIn), "the long-lived connection stays on the first");
        longLived.close();
        assertTrue(first.awaitHandedOverAndDrained(Duration.ofSeconds(10)), "the first drains once it ends");
        assertTrue(Files.exists(dir.resolve("handover.sock")), "the second listens for the next Junction");
    }

    @Test
    void withoutARunningJunctionTheFirstOneBindsForItselfAndListens() throws Exception {
        TestBackend b = backend("only");
        InetSocketAddress vip = Clients.unusedLoopbackVip();
        Junction only = start("only", Manifests.serviceWithOneEndpoint("web", vip, b.address(), b.port()));
        Conditions.await("it serves", () -> Clients.reachable(vip));
        Conditions.await("and listens for a successor", () -> Files.exists(dir.resolve("handover.sock")));
        assertFalse(only.handedOver());
        closing.remove(only);
        only.close();
        assertFalse(Files.exists(dir.resolve("handover.sock")), "closing removes its socket file");
    }

    @Test
    void aFrontendAnotherProcessHoldsIsBoundWithinASecondOfItsRelease() throws Exception {
        // A predecessor that could not hand over (another protocol version, io_uring) holds the port until it
        // is stopped; the new Junction then binds it, without waiting for a Service change.
        TestBackend b = backend("b");
        InetSocketAddress vip = Clients.unusedLoopbackVip();
        java.net.ServerSocket predecessor = new java.net.ServerSocket();
        predecessor.bind(vip);
        closing.add(predecessor);
        Junction j = start("late", Manifests.serviceWithOneEndpoint("web", vip, b.address(), b.port()));
        Conditions.await("the first sync is programmed", () -> j.control().appliedBatches() > 0);
        assertFalse(j.control().liveRoutes().frontends().get(0).listening(), "the port is taken");
        predecessor.close();
        Conditions.await("bound once released", Duration.ofSeconds(5), () -> Clients.reachable(vip));
        assertEquals("b", Clients.backendName(vip));
    }

    @Test
    void theHealthCheckNodePortGoesToTheSuccessorToo() throws Exception {
        TestBackend b = backend("b");
        InetSocketAddress vip = Clients.unusedLoopbackVip();
        int checkPort;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            checkPort = free.getLocalPort();
        }
        String manifests = """
                apiVersion: v1
                kind: Service
                metadata: {name: lb, namespace: default}
                spec:
                  type: LoadBalancer
                  externalTrafficPolicy: Local
                  healthCheckNodePort: %d
                  clusterIP: %s
                  ports: [{port: %d}]
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: lb-1, namespace: default, labels: {kubernetes.io/service-name: lb}}
                addressType: IPv4
                ports: [{port: %d, protocol: TCP}]
                endpoints: [{addresses: ["%s"], nodeName: node-a}]
                """.formatted(checkPort, vip.getAddress().getHostAddress(), vip.getPort(), b.port(),
                b.address().getHostAddress());
        InetSocketAddress check = new InetSocketAddress(InetAddress.getLoopbackAddress(), checkPort);
        Junction first = start("first", manifests);
        Conditions.await("the first answers on the health-check node port",
                () -> answers(check).contains("\"serviceProxyHealthy\":true"));
        start("second", manifests);
        Conditions.await("the first is told it was handed over", first::handedOver);
        // The first would answer serviceProxyHealthy false now; only the second answers true.
        Conditions.await("the second answers on it", () -> answers(check), a -> a.contains("\"serviceProxyHealthy\":true"));
    }

    /** The health-check node port's answer, or what went wrong. */
    private static String answers(InetSocketAddress check) {
        try {
            return Http.get(check, "/").body();
        } catch (RuntimeException e) {
            return e.toString();
        }
    }
}
