package dev.junction.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.testing.Conditions;
import dev.junction.testing.EchoServer;
import dev.junction.testing.HandoverLoad;
import dev.junction.testing.ProbeAgent;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Junction on a node made of network namespaces, with route capture, as a real process:
 * <pre>
 *   pod1 10.244.1.2 fd00:1::2 ─┐                          ┌─ client pod 10.244.3.2 fd00:3::2 (default via node)
 *   pod2 10.244.2.2 ───────────┤ node (Junction, "node") ├─ outside 192.168.50.2 (203.0.113.0/24 via node)
 * </pre>
 * Backends (TCP and UDP echo at 8080) and clients are small JVMs inside their namespaces. Nothing here NATs
 * or forwards: the node takes Service traffic by its local routes alone. The scenarios share one Junction
 * until the lifecycle tests (deletion, shutdown, restart, cleanup) at the end.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NodeTopologyTest {

    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private static final String CLASSPATH = System.getProperty("java.class.path");
    private static final List<String> SMALL_JVM = List.of("-Xmx96m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
    /** Refusal must be a reset, not a timeout: far below the agent's 3 s timeouts. */
    private static final long REFUSAL_MILLIS = 1_000;
    /** How long a UDP probe waits for its reply. */
    private static final int UDP_REPLY_MILLIS = 3_000;
    /** How long a UDP probe waits to show that no reply comes. */
    private static final int UDP_DROP_MILLIS = 500;

    private final List<Netns> namespaces = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();
    private Netns node;
    private Netns pod1;
    private Netns pod2;
    private Netns clientPod;
    private Agent client;
    private Agent outside;
    private Agent onNode;
    private Path manifests;
    private Path logs;
    private String pristineLocalTable;
    private Path handoverSocket;
    private Process junction;

    @BeforeAll
    void buildNode() throws IOException {
        Netns.requireNetns();
        logs = Files.createDirectories(Path.of("target", "netns-logs"));
        manifests = Files.createTempDirectory("junction-netns");
        handoverSocket = Files.createTempDirectory("junction-netns-handover").resolve("handover.sock");
        node = ns("node");
        pod1 = ns("pod1");
        pod2 = ns("pod2");
        clientPod = ns("client");
        Netns outsideHost = ns("outside");
        link(pod1, "p1", "10.244.1", "fd00:1::");
        link(pod2, "p2", "10.244.2", "fd00:2::");
        link(clientPod, "c", "10.244.3", "fd00:3::");
        link(outsideHost, "o", "192.168.50", null);
        outsideHost.exec("ip", "route", "add", "203.0.113.0/24", "via", "192.168.50.1");
        // The kernel adds each veth's IPv6 link-local address a moment after it comes up.
        Conditions.await("link-local addresses on the node's four veths", Duration.ofSeconds(30),
                () -> node.localTable().split("local fe80:", -1).length - 1 == 4);
        pristineLocalTable = node.localTable();

        backend(pod1, "pod1");
        backend(pod2, "pod2");
        client = new Agent(clientPod);
        outside = new Agent(outsideHost);
        onNode = new Agent(node);

        writeManifests();
        junction = startJunction("junction", false, handoverSocket.toString());
        awaitRoutes(Set.of("10.96.0.10", "fd00:96::10", "203.0.113.10", "10.96.0.20", "10.96.0.50", "10.96.0.60"),
                Set.of());
    }

    @AfterAll
    void tearDown() {
        for (Process p : processes) {
            p.destroyForcibly();
        }
        for (Process p : processes) {
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        namespaces.forEach(Netns::close);
    }

    // ---- scenarios on one running Junction ----

    @Test
    @Order(1)
    void clusterIpFromAPodReachesBothBackends() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            seen.add(ok(client.probe("10.96.0.10", 80, 1)));
        }
        assertEquals(Set.of("pod1", "pod2"), seen);
    }

    @Test
    @Order(2)
    void clusterIpFromTheNodeItself() {
        assertTrue(Set.of("pod1", "pod2").contains(ok(onNode.probe("10.96.0.10", 80, 1))));
    }

    @Test
    @Order(3)
    void ipv6ClusterIpFromAPod() {
        assertEquals("pod1", ok(client.probe("fd00:96::10", 80, 1)));
    }

    @Test
    @Order(4)
    void nodePortFromOutside() {
        assertTrue(Set.of("pod1", "pod2").contains(ok(outside.probe("192.168.50.1", 30080, 1))));
    }

    @Test
    @Order(5)
    void externalIpFromOutside() {
        assertTrue(Set.of("pod1", "pod2").contains(ok(outside.probe("203.0.113.10", 80, 1))));
    }

    @Test
    @Order(6)
    void loadBalancerSourceRangesRefuseAnOutsideAddressAndAdmitAPod() {
        assertRefused(outside.probe("203.0.113.30", 80, 1));
        assertEquals("pod1", ok(client.probe("203.0.113.30", 80, 1)));
    }

    @Test
    @Order(7)
    void externalTrafficPolicyLocalUsesOnlyTheLocalEndpoint() {
        for (int i = 0; i < 4; i++) {
            assertEquals("pod1", ok(outside.probe("203.0.113.20", 80, 1)), "externalIP, eTP Local");
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            seen.add(ok(client.probe("10.96.0.20", 80, 1)));
        }
        assertEquals(Set.of("pod1", "pod2"), seen, "the ClusterIP keeps cluster-wide endpoints");
    }

    @Test
    @Order(8)
    void externalTrafficPolicyLocalWithoutALocalEndpointRefuses() {
        assertRefused(outside.probe("203.0.113.21", 80, 1));
        assertEquals("pod2", ok(client.probe("10.96.0.21", 80, 1)), "the ClusterIP still serves");
    }

    /**
     * kube-proxy TestExternalTrafficPolicyLocal "pod to external IP hits both endpoints" and
     * TestInternalExternalMasquerade "node to LB with eTP:Local": the eTP Local Service without a local
     * endpoint refuses the outside host (above) but serves a pod of this node (inside the Node's
     * spec.podCIDRs) and the node itself, which reaches the externalIP from that address, by TCP and UDP.
     */
    @Test
    @Order(9)
    void externalTrafficPolicyLocalShortCircuitsThisNodesPodsAndTheNodeItself() {
        assertEquals("pod2", ok(client.probe("203.0.113.21", 80, 1)), "a pod of this node");
        assertEquals("pod2", ok(onNode.probe("203.0.113.21", 80, 1)), "the node itself");
        assertEquals("pod2", udpBackend(client.udp("203.0.113.21", 53, UDP_REPLY_MILLIS)), "a pod of this node, UDP");
        assertRefused(outside.probe("203.0.113.21", 80, 1));
        assertTrue(outside.udp("203.0.113.21", 53, UDP_DROP_MILLIS).startsWith("TIMEOUT "), "outside, UDP");
    }

    @Test
    @Order(9)
    void serviceWithoutEndpointsIsRefusedAtOnce() {
        assertRefused(client.probe("10.96.0.50", 80, 1));
    }

    @Test
    @Order(10)
    void proxyProtocolTellsTheBackendTheClientsAddress() {
        String reply = ok(client.probe("10.96.0.40", 80, 2));
        assertTrue(reply.startsWith("pod1|PROXY TCP4 10.244.3.2 10.96.0.40 ") && reply.endsWith(" 80\\r"), reply);
    }

    /**
     * Each probe's fresh socket is a new client port, so a new session and a new pick. The socket is
     * connected to the ClusterIP: a reply from any other source would be dropped by the client's kernel.
     */
    @Test
    @Order(11)
    void udpClusterIpFromAPodRepliesFromTheClusterIpAndReachesBothBackends() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            seen.add(udpBackend(client.udp("10.96.0.60", 53, UDP_REPLY_MILLIS)));
        }
        assertEquals(Set.of("pod1", "pod2"), seen);
    }

    @Test
    @Order(12)
    void udpNodePortFromOutside() {
        assertTrue(Set.of("pod1", "pod2").contains(udpBackend(outside.udp("192.168.50.1", 30053, UDP_REPLY_MILLIS))));
    }

    /** Junction's listener takes the datagram and drops it, where a port without a listener is refused. */
    @Test
    @Order(13)
    void udpServiceWithoutEndpointsDropsDatagrams() {
        String result = client.udp("10.96.0.50", 53, UDP_DROP_MILLIS);
        assertTrue(result.startsWith("TIMEOUT "), "expected no reply, got " + result);
        String unbound = client.udp("10.96.0.50", 54, UDP_REPLY_MILLIS);
        assertTrue(unbound.startsWith("REFUSED "), "the kernel refuses a port nothing listens on, got " + unbound);
    }

    /** Junction re-reads the node's addresses every 10 s: one added after the start gets the NodePorts. */
    @Test
    @Order(14)
    void aNodePortOpensOnAnAddressAddedToTheNode() {
        node.exec("ip", "addr", "add", "192.168.50.7/24", "dev", "o");
        try {
            Conditions.await("the NodePort on the added address", Duration.ofSeconds(30),
                    () -> outside.probe("192.168.50.7", 30080, 1).startsWith("OK "));
            assertTrue(Set.of("pod1", "pod2").contains(ok(outside.probe("192.168.50.7", 30080, 1))));
        } finally {
            // Its local route would otherwise differ from the table the lifecycle tests compare with.
            node.exec("ip", "addr", "del", "192.168.50.7/24", "dev", "o");
        }
    }

    // ---- handover ----

    /**
     * Issue 15's proof in the node topology: under new connections, long-lived CRC-checked streams and UDP
     * requests from the client pod to ClusterIPs (by the node's routes alone), a second Junction takes the first's
     * sockets. Nothing is refused, reset, timed out or broken; the routes stay in the kernel through the switch
     * and the first's exit, and belong to the second: it routes a Service added after the handover, unroutes one
     * the first had routed when it is deleted, and (the clean shutdown below) removes every route it holds.
     */
    @Test
    @Order(15)
    void aSecondJunctionTakesOverUnderLoadAndOwnsTheRoutes() throws Exception {
        Path mark = logs.resolve("handover-switch");
        Path stop = logs.resolve("handover-switch.stop");
        Path loadLog = logs.resolve("handover-load.log");
        for (Path leftover : List.of(mark, stop, loadLog)) {
            Files.deleteIfExists(leftover);
        }
        Process load = clientPod.start(loadLog, java(HandoverLoad.class.getName(), "10.96.0.10:80", "10.96.0.60:53",
                "60", "200", "20", mark.toString()));
        processes.add(load);
        Conditions.await("the load runs", Duration.ofSeconds(30), () -> read(loadLog).contains("running"));
        String routesBefore = node.junctionRoutes();

        Files.deleteIfExists(logs.resolve("junction-second.log"));
        int firstLogBefore = read(logs.resolve("junction.log")).length();
        Process second = startJunction("junction-second", false, handoverSocket.toString());
        Files.createFile(mark);
        Conditions.await("the second took over and the first stopped accepting", Duration.ofSeconds(60),
                () -> read(logs.resolve("junction.log")).substring(firstLogBefore).contains("stops accepting"));
        assertEquals(routesBefore, node.junctionRoutes(), "the routes stay through the handover");
        for (int i = 0; i < 20; i++) {
            assertTrue(Set.of("pod1", "pod2").contains(ok(client.probe("10.96.0.10", 80, 1))), "the second serves");
        }

        Files.createFile(stop);
        assertTrue(load.waitFor(30, TimeUnit.SECONDS), "the load stops");
        Map<String, String> counts = counts(read(loadLog));
        for (String failure : List.of("refused", "reset", "timeout", "closed_early", "other", "streams_broken")) {
            assertTrue(counts.get(failure).startsWith("0"), failure + " in " + counts);
        }
        assertTrue(Integer.parseInt(counts.get("udp_unanswered"))
                <= Integer.parseInt(counts.get("udp_in_flight_at_switch")), "UDP unanswered beyond those in flight at the "
                + "switch: " + counts);
        assertTrue(Integer.parseInt(counts.get("ok")) > 0 && Integer.parseInt(counts.get("udp_ok")) > 0, counts.toString());
        assertTrue(junction.waitFor(30, TimeUnit.SECONDS), "the first exits once its streams have ended");
        assertEquals(0, junction.exitValue(), "the first's exit code");
        assertEquals(routesBefore, node.junctionRoutes(), "the first's exit removes no route");
        junction = second;

        write("late", """
                apiVersion: v1
                kind: Service
                metadata: {name: late, namespace: default}
                spec:
                  clusterIP: 10.96.0.70
                  ports: [{name: http, port: 80, targetPort: 8080}]
                """ + slice("late", "  - {addresses: [10.244.1.2], conditions: {ready: true}}\n"));
        awaitRoutes(Set.of("10.96.0.70"), Set.of());
        assertEquals("pod1", ok(client.probe("10.96.0.70", 80, 1)), "a Service added after the handover");
        Files.delete(manifests.resolve("pp.yaml"));
        awaitRoutes(Set.of("10.96.0.70", "10.96.0.10"), Set.of("10.96.0.40"));
    }

    // ---- lifecycle ----

    @Test
    @Order(20)
    void deletingAServiceRemovesItsRoute() throws IOException {
        Files.delete(manifests.resolve("empty.yaml"));
        awaitRoutes(Set.of("10.96.0.10"), Set.of("10.96.0.50"));
    }

    @Test
    @Order(30)
    void cleanShutdownLeavesTheLocalTableAsItWas() throws Exception {
        stop(junction);
        assertEquals(pristineLocalTable, node.localTable());
    }

    @Test
    @Order(40)
    void restartReconcilesRoutesKeptFromTheLastRun() throws Exception {
        Process kept = startJunction("junction", true, "");
        awaitRoutes(Set.of("10.96.0.30", "203.0.113.30", "10.96.0.10"), Set.of());
        stop(kept);
        assertTrue(node.junctionRoutes().contains("203.0.113.30"), "--keep-routes keeps routes:\n" + node.junctionRoutes());

        Files.delete(manifests.resolve("lb.yaml"));
        Process restarted = startJunction("junction", false, "");
        awaitRoutes(Set.of("10.96.0.10", "203.0.113.10"), Set.of("10.96.0.30", "203.0.113.30"));
        assertEquals("pod1", ok(client.probe("fd00:96::10", 80, 1)), "kept routes serve after the restart");
        stop(restarted);
        assertEquals(pristineLocalTable, node.localTable());
    }

    @Test
    @Order(50)
    void cleanupCommandLeavesTheLocalTableAsItWas() throws Exception {
        Process kept = startJunction("junction", true, "");
        awaitRoutes(Set.of("10.96.0.10", "fd00:96::10"), Set.of());
        stop(kept);
        assertTrue(!node.junctionRoutes().isBlank(), "routes were kept");

        Process cleanup = node.start(logs.resolve("cleanup.log"), java("dev.junction.Main", "cleanup"));
        assertTrue(cleanup.waitFor(30, TimeUnit.SECONDS), "cleanup finishes");
        assertEquals(0, cleanup.exitValue(), "cleanup exit code; log: " + Files.readString(logs.resolve("cleanup.log")));
        assertEquals(pristineLocalTable, node.localTable());
    }

    // ---- topology ----

    private Netns ns(String role) {
        Netns ns = Netns.create(role);
        namespaces.add(ns);
        return ns;
    }

    /** A veth pair: {@code name} on the node ({@code prefix.1}), eth0 in {@code peer} ({@code prefix.2}, default via the node). */
    private void link(Netns peer, String name, String v4Prefix, String v6Prefix) {
        Netns.run("ip", "link", "add", name, "netns", node.name(), "type", "veth", "peer", "name", "eth0",
                "netns", peer.name());
        node.exec("ip", "addr", "add", v4Prefix + ".1/24", "dev", name);
        peer.exec("ip", "addr", "add", v4Prefix + ".2/24", "dev", "eth0");
        if (v6Prefix != null) {
            node.exec("ip", "addr", "add", v6Prefix + "1/64", "dev", name, "nodad");
            peer.exec("ip", "addr", "add", v6Prefix + "2/64", "dev", "eth0", "nodad");
        }
        node.exec("ip", "link", "set", name, "up");
        peer.exec("ip", "link", "set", "eth0", "up");
        if (!v4Prefix.startsWith("192.168.")) {
            peer.exec("ip", "route", "add", "default", "via", v4Prefix + ".1");
            if (v6Prefix != null) {
                peer.exec("ip", "-6", "route", "add", "default", "via", v6Prefix + "1");
            }
        }
    }

    private void backend(Netns ns, String name) throws IOException {
        Path log = logs.resolve(name + ".log");
        Files.deleteIfExists(log);
        Process p = ns.start(log, java(EchoServer.class.getName(), name, "8080"));
        processes.add(p);
        Conditions.await(name + " backend to start", Duration.ofSeconds(30), () -> read(log).contains("ready"));
    }

    private List<String> java(String mainClass, String... args) {
        List<String> command = new ArrayList<>(List.of(JAVA));
        command.addAll(SMALL_JVM);
        command.addAll(List.of("-cp", CLASSPATH, mainClass));
        command.addAll(List.of(args));
        return command;
    }

    /** Junction in the node's namespace, logging to {@code <logName>.log}; {@code handoverSocket} "" hands nothing over. */
    private Process startJunction(String logName, boolean keepRoutes, String handoverSocket) {
        List<String> args = new ArrayList<>(List.of("run", "--manifests", manifests.toString(), "--capture", "route",
                "--hostname-override", "node", "--nodeport-addresses", "192.168.50.0/24", "--workers", "1",
                "--handover-socket", handoverSocket));
        if (keepRoutes) {
            args.add("--keep-routes");
        }
        Process p = node.start(logs.resolve(logName + ".log"), java("dev.junction.Main", args.toArray(String[]::new)));
        processes.add(p);
        return p;
    }

    /** SIGTERM, as a node's init would send; the shutdown hook closes Junction. */
    private void stop(Process p) throws InterruptedException {
        p.destroy();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "junction stops on SIGTERM");
    }

    private void awaitRoutes(Set<String> present, Set<String> absent) {
        Conditions.await("routes " + present + " present and " + absent + " absent", Duration.ofSeconds(30), () -> {
            Set<String> routed = new HashSet<>();
            for (String line : node.junctionRoutes().split("\n")) {
                String[] words = line.trim().split("\\s+");
                if (words.length > 1) {
                    routed.add(words[1]);
                }
            }
            return routed.containsAll(present) && absent.stream().noneMatch(routed::contains);
        });
    }

    /** The load's last line, {@code key=value ...}, as a map. */
    private static Map<String, String> counts(String loadOutput) {
        String[] lines = loadOutput.strip().split("\n");
        Map<String, String> counts = new HashMap<>();
        for (String word : lines[lines.length - 1].split(" ")) {
            int eq = word.indexOf('=');
            if (eq > 0) {
                counts.put(word.substring(0, eq), word.substring(eq + 1));
            }
        }
        return counts;
    }

    /** A log's text so far; "" before it exists. */
    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }

    private static String ok(String result) {
        assertTrue(result.startsWith("OK "), "expected a reply, got " + result);
        return result.substring(3);
    }

    /** The backend a UDP echo reply names: {@code OK NAME SOURCE-PORT|PAYLOAD}. */
    private static String udpBackend(String result) {
        String reply = ok(result);
        assertTrue(reply.endsWith("|probe"), "the datagram is echoed: " + reply);
        return reply.substring(0, reply.indexOf(' '));
    }

    private static void assertRefused(String result) {
        assertTrue(result.startsWith("RESET ") || result.startsWith("REFUSED "), "expected a reset, got " + result);
        long millis = Long.parseLong(result.substring(result.indexOf(' ') + 1));
        assertTrue(millis < REFUSAL_MILLIS, "refused at once, not after a timeout: " + result);
    }

    /** A {@link ProbeAgent} running inside a namespace. */
    private final class Agent {
        private final Process process;
        private final Writer in;
        private final BufferedReader out;

        Agent(Netns ns) {
            List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", ns.name()));
            command.addAll(java(ProbeAgent.class.getName()));
            try {
                process = new ProcessBuilder(command)
                        .redirectError(ProcessBuilder.Redirect.appendTo(logs.resolve("agents.log").toFile())).start();
                processes.add(process);
                in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.US_ASCII);
                out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
                assertEquals("ready", out.readLine(), "probe agent in " + ns.name() + " starts");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        String probe(String host, int port, int lines) {
            return ask(host + ' ' + port + ' ' + lines);
        }

        String udp(String host, int port, int timeoutMillis) {
            return ask("UDP " + host + ' ' + port + ' ' + timeoutMillis);
        }

        private String ask(String line) {
            try {
                in.write(line + '\n');
                in.flush();
                return out.readLine();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    // ---- manifests ----

    private void writeManifests() throws IOException {
        // The client pod's subnet is this node's pod CIDR: its calls count as the node's own.
        write("node", """
                apiVersion: v1
                kind: Node
                metadata: {name: node}
                spec: {podCIDRs: [10.244.3.0/24, "fd00:3::/64"]}
                """);
        write("web", """
                apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: default}
                spec:
                  type: NodePort
                  clusterIP: 10.96.0.10
                  clusterIPs: [10.96.0.10, "fd00:96::10"]
                  ipFamilies: [IPv4, IPv6]
                  ipFamilyPolicy: RequireDualStack
                  externalIPs: [203.0.113.10]
                  ports: [{name: http, port: 80, targetPort: 8080, nodePort: 30080}]
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: web-v4, namespace: default, labels: {kubernetes.io/service-name: web}}
                addressType: IPv4
                ports: [{name: http, port: 8080, protocol: TCP}]
                endpoints:
                  - {addresses: [10.244.1.2], nodeName: node, conditions: {ready: true}}
                  - {addresses: [10.244.2.2], nodeName: other, conditions: {ready: true}}
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: web-v6, namespace: default, labels: {kubernetes.io/service-name: web}}
                addressType: IPv6
                ports: [{name: http, port: 8080, protocol: TCP}]
                endpoints:
                  - {addresses: ["fd00:1::2"], nodeName: node, conditions: {ready: true}}
                """);
        write("local", externalLocal("local", "10.96.0.20", "203.0.113.20", """
                  - {addresses: [10.244.1.2], nodeName: node, conditions: {ready: true}}
                  - {addresses: [10.244.2.2], nodeName: other, conditions: {ready: true}}
                """));
        write("nolocal", externalLocal("nolocal", "10.96.0.21", "203.0.113.21", """
                  - {addresses: [10.244.2.2], nodeName: other, conditions: {ready: true}}
                """));
        write("lb", """
                apiVersion: v1
                kind: Service
                metadata: {name: lb, namespace: default}
                spec:
                  type: LoadBalancer
                  clusterIP: 10.96.0.30
                  loadBalancerSourceRanges: [10.244.3.0/24]
                  ports: [{name: http, port: 80, targetPort: 8080}]
                status:
                  loadBalancer:
                    ingress: [{ip: 203.0.113.30}]
                """ + slice("lb", "  - {addresses: [10.244.1.2], conditions: {ready: true}}\n"));
        write("pp", """
                apiVersion: v1
                kind: Service
                metadata: {name: pp, namespace: default, annotations: {junction.dev/proxy-protocol: v1}}
                spec:
                  clusterIP: 10.96.0.40
                  ports: [{name: http, port: 80, targetPort: 8080}]
                """ + slice("pp", "  - {addresses: [10.244.1.2], conditions: {ready: true}}\n"));
        write("empty", """
                apiVersion: v1
                kind: Service
                metadata: {name: empty, namespace: default}
                spec:
                  clusterIP: 10.96.0.50
                  ports:
                    - {name: http, port: 80, targetPort: 8080}
                    - {name: dns, port: 53, targetPort: 8080, protocol: UDP}
                """);
        write("dns", """
                apiVersion: v1
                kind: Service
                metadata: {name: dns, namespace: default}
                spec:
                  type: NodePort
                  clusterIP: 10.96.0.60
                  ports: [{name: dns, port: 53, targetPort: 8080, protocol: UDP, nodePort: 30053}]
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: dns-1, namespace: default, labels: {kubernetes.io/service-name: dns}}
                addressType: IPv4
                ports: [{name: dns, port: 8080, protocol: UDP}]
                endpoints:
                  - {addresses: [10.244.1.2], nodeName: node, conditions: {ready: true}}
                  - {addresses: [10.244.2.2], nodeName: other, conditions: {ready: true}}
                """);
    }

    /** TCP port 80 and UDP port 53, both to the endpoints' 8080. */
    private static String externalLocal(String name, String clusterIp, String externalIp, String endpoints) {
        return """
                apiVersion: v1
                kind: Service
                metadata: {name: %s, namespace: default}
                spec:
                  clusterIP: %s
                  externalIPs: [%s]
                  externalTrafficPolicy: Local
                  ports:
                    - {name: http, port: 80, targetPort: 8080}
                    - {name: dns, port: 53, targetPort: 8080, protocol: UDP}
                """.formatted(name, clusterIp, externalIp) + slice(name, endpoints);
    }

    private static String slice(String service, String endpoints) {
        return """
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: %s-1, namespace: default, labels: {kubernetes.io/service-name: %s}}
                addressType: IPv4
                ports: [{name: http, port: 8080, protocol: TCP}, {name: dns, port: 8080, protocol: UDP}]
                endpoints:
                """.formatted(service, service) + endpoints;
    }

    private void write(String name, String yaml) throws IOException {
        Files.writeString(manifests.resolve(name + ".yaml"), yaml);
    }
}
