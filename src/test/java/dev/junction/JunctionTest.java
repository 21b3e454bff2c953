package dev.junction;

import static dev.junction.testing.Clients.backendName;
import static dev.junction.testing.Clients.reachable;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.junction.config.ProxyConfig;
import dev.junction.testing.Clients;
import dev.junction.testing.Conditions;
import dev.junction.testing.TestBackend;
import dev.junction.testing.UdpClient;
import dev.junction.testing.UdpEchoBackend;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole proxy on a manifest directory: edits on disk move real traffic. */
class JunctionTest {

    @TempDir
    Path manifests;

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private InetSocketAddress vip;

    @BeforeEach
    void pickClusterIp() throws IOException {
        vip = Clients.unusedLoopbackVip();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private TestBackend backend(String name) throws IOException {
        TestBackend b = TestBackend.start(name);
        closeables.add(b);
        return b;
    }

    private Junction start() {
        ProxyConfig config = ProxyConfig.builder().manifests(manifests).capture(ProxyConfig.CaptureMode.NONE)
                .nodeName("node-a").workers(2).idleTimeout(Duration.ZERO).udpMaxSessions(1024)
                .transport(ProxyConfig.TransportMode.EPOLL).healthzBindAddress("").metricsBindAddress("").build();
        Junction j = new Junction(config).start();
        closeables.add(j);
        // The configured transport, not the automatic choice (io_uring here).
        assertEquals("epoll", j.transport().name());
        return j;
    }

    private String service(String policy) {
        return """
                apiVersion: v1
                kind: Service
                metadata:
                  name: web
                  namespace: shop
                  annotations:
                    junction.dev/lb: %s
                spec:
                  clusterIP: %s
                  ports:
                    - name: http
                      port: %d
                      targetPort: 8080
                """.formatted(policy, vip.getAddress().getHostAddress(), vip.getPort());
    }

    private static String slice(String name, TestBackend... backends) {
        return slice(name, "http", "TCP", backends[0].port(),
                Arrays.stream(backends).map(TestBackend::address).toList());
    }

    private static String slice(String name, String portName, String protocol, int port, List<InetAddress> addresses) {
        StringBuilder s = new StringBuilder("""
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: %s
                  namespace: shop
                  labels:
                    kubernetes.io/service-name: web
                addressType: IPv4
                ports:
                  - name: %s
                    port: %d
                    protocol: %s
                endpoints:
                """.formatted(name, portName, port, protocol));
        for (InetAddress a : addresses) {
            s.append("  - addresses: [\"").append(a.getHostAddress()).append("\"]\n")
                    .append("    conditions: {ready: true}\n");
        }
        return s.toString();
    }

    /** Backends share one port on different loopback addresses, as pods share a targetPort. */
    private List<TestBackend> backendsOnOnePort(int n) throws IOException {
        List<TestBackend> list = new ArrayList<>();
        TestBackend first = backend("b1");
        list.add(first);
        for (int i = 2; i <= n; i++) {
            TestBackend b = TestBackend.start("b" + i, InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) i}),
                    first.port());
            closeables.add(b);
            list.add(b);
        }
        return list;
    }

    private Set<String> namesSeen(int connections) {
        Set<String> names = new HashSet<>();
        for (int i = 0; i < connections; i++) {
            names.add(backendName(vip));
        }
        return names;
    }

    @Test
    void editingAManifestOnDiskMovesTraffic() throws Exception {
        List<TestBackend> b = backendsOnOnePort(3);
        Files.writeString(manifests.resolve("web.yaml"), service("round-robin") + "---\n" + slice("web-1", b.get(0)));
        start();
        Conditions.await("service to listen", () -> reachable(vip));
        assertEquals(Set.of("b1"), namesSeen(6));

        Files.writeString(manifests.resolve("web.yaml"),
                service("round-robin") + "---\n" + slice("web-1", b.get(1), b.get(2)));
        Conditions.awaitEquals("traffic to move to b2 and b3", Set.of("b2", "b3"), () -> namesSeen(6));

        // A second slice in another file merges into the same Service.
        Files.writeString(manifests.resolve("extra.yaml"), slice("web-2", b.get(0)));
        Conditions.awaitEquals("the second slice to merge", Set.of("b1", "b2", "b3"), () -> namesSeen(9));

        Files.delete(manifests.resolve("web.yaml"));
        Conditions.await("the listener to close with its Service", () -> !reachable(vip));
    }

    @Test
    void anInvalidManifestDoesNotDisturbTraffic() throws Exception {
        List<TestBackend> b = backendsOnOnePort(2);
        Files.writeString(manifests.resolve("web.yaml"),
                service("round-robin") + "---\n" + slice("web-1", b.get(0), b.get(1)));
        Junction junction = start();
        Conditions.await("service to listen", () -> reachable(vip));
        assertEquals(Set.of("b1", "b2"), namesSeen(4));

        // Broken YAML, then a port out of range: each is reported and the file's last good state stays.
        Files.writeString(manifests.resolve("web.yaml"), service("round-robin") + "---\nkind: [unclosed\n");
        Files.writeString(manifests.resolve("web.yaml"),
                service("round-robin").replace("port: " + vip.getPort(), "port: 70000") + "---\n" + slice("web-1", b.get(0)));
        // A valid unrelated file written after them: once the control plane has applied it, the source has
        // read the bad versions too. inotify reports in order, and a burst read together is loaded in name
        // order, so the file must sort after web.yaml. The baseline is taken once the start's batch is counted.
        Conditions.await("the start's batch to be counted", () -> junction.control().appliedBatches() > 0);
        long applied = junction.control().appliedBatches();
        Files.writeString(manifests.resolve("zz-other.yaml"),
                slice("other-1", b.get(0)).replace("service-name: web", "service-name: other"));
        Conditions.await("the unrelated file to apply", () -> junction.control().appliedBatches() > applied);
        for (int i = 0; i < 20; i++) {
            assertEquals(Set.of("b1", "b2"), namesSeen(2), "round " + i + " keeps the last good state");
        }

        Files.writeString(manifests.resolve("web.yaml"), service("round-robin") + "---\n" + slice("web-1", b.get(1)));
        Conditions.awaitEquals("the fixed file to apply", Set.of("b2"), () -> namesSeen(4));
    }

    @Test
    void serviceWithoutEndpointsRefusesAtOnce() throws Exception {
        Files.writeString(manifests.resolve("web.yaml"), service("least-connections"));
        start();
        Conditions.await("service to listen", () -> reachable(vip));
        Clients.assertReset(vip);
    }

    @Test
    void aUdpClientsFlowFollowsItsServiceToANewEndpoint() throws Exception {
        UdpEchoBackend u1 = UdpEchoBackend.start("u1");
        closeables.add(u1);
        UdpEchoBackend u2 = UdpEchoBackend.start("u2", InetAddress.getByAddress(new byte[] {127, 0, 0, 2}), u1.port());
        closeables.add(u2);
        String service = """
                apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: shop}
                spec:
                  clusterIP: %s
                  ports: [{name: dns, port: %d, protocol: UDP, targetPort: 53}]
                """.formatted(vip.getAddress().getHostAddress(), vip.getPort());
        Files.writeString(manifests.resolve("dns.yaml"),
                service + "---\n" + slice("dns-1", "dns", "UDP", u1.port(), List.of(u1.address())));
        start();
        UdpClient client = new UdpClient(vip);
        closeables.add(client);
        Conditions.await("the UDP service to answer from u1", () -> answeredBy(client, "u1"));

        // The endpoint is replaced: the same client socket's next datagrams reach the new one, no stale flow.
        Files.writeString(manifests.resolve("dns.yaml"),
                service + "---\n" + slice("dns-1", "dns", "UDP", u2.port(), List.of(u2.address())));
        Conditions.await("the client's flow to move to u2", () -> answeredBy(client, "u2"));
        assertEquals("u2", client.ask("settled").backend());

        // Down to zero endpoints and back (kube-proxy issues 48370, 139628): the same socket recovers.
        Files.writeString(manifests.resolve("dns.yaml"), service);
        Conditions.await("the Service to have no endpoint", () -> !answeredBy(client, "u2"));
        Files.writeString(manifests.resolve("dns.yaml"),
                service + "---\n" + slice("dns-1", "dns", "UDP", u1.port(), List.of(u1.address())));
        Conditions.await("the same client to reach u1 again", () -> answeredBy(client, "u1"));
    }

    private static boolean answeredBy(UdpClient client, String backend) {
        UdpClient.Reply r = client.ask("ping".getBytes(StandardCharsets.US_ASCII), Duration.ofMillis(200));
        return r != null && r.backend().equals(backend);
    }
}
