package dev.junction.dataplane.tcp;

import static dev.junction.testing.Clients.backendName;
import static dev.junction.testing.Clients.connect;
import static dev.junction.testing.Clients.readLine;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.dataplane.FrontendHandle;
import dev.junction.dataplane.Transport;
import dev.junction.lb.Ejection;
import dev.junction.lb.EndpointTable;
import dev.junction.lb.ServiceBalancer;
import dev.junction.model.Addresses;
import dev.junction.model.Cidr;
import dev.junction.model.CidrSet;
import dev.junction.model.Endpoint;
import dev.junction.model.Frontend;
import dev.junction.model.FrontendKind;
import dev.junction.model.LbPolicy;
import dev.junction.model.Protocol;
import dev.junction.model.ProxyProtocol;
import dev.junction.model.ServicePortName;
import dev.junction.model.ServiceRoute;
import dev.junction.model.ShortCircuit;
import dev.junction.testing.Clients;
import dev.junction.testing.Conditions;
import dev.junction.testing.Shares;
import dev.junction.testing.TestBackend;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The TCP relay over real sockets on loopback, on both transports. */
class TcpDataPlaneTest {

    private static final ServicePortName WEB = new ServicePortName("default", "web", "", Protocol.TCP);

    /** What one slow-reader connection may pin in the proxy's pool: a few 4 MiB chunks, never the stream. */
    private static final long MEMORY_BOUND = 32L << 20;

    private static final TcpOptions OPTIONS = new TcpOptions(Duration.ofSeconds(1), 3, Duration.ZERO);

    /** Ejected for minutes, not the default second: what a test sees must not depend on how fast the loop runs. */
    private static final Ejection LONG_EJECTION = new Ejection(2, Duration.ofMinutes(5), Duration.ofMinutes(5));

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private Transport transport;
    private ServiceBalancer balancer;
    private FrontendHandle frontend;
    private TcpDataPlane plane;

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        if (frontend != null) {
            frontend.close();
        }
        if (transport != null) {
            transport.close();
        }
    }

    private List<TestBackend> backends(int n) throws IOException {
        List<TestBackend> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            TestBackend b = TestBackend.start("b" + i);
            closeables.add(b);
            list.add(b);
        }
        return list;
    }

    private static Endpoint endpoint(TestBackend b) {
        return new Endpoint(b.address(), b.port());
    }

    private EndpointTable table(LbPolicy policy, List<Endpoint> endpoints) {
        return balancer.tables(List.of(clusterIp(policy, endpoints, Duration.ZERO))).get(0);
    }

    private static ServiceRoute clusterIp(LbPolicy policy, List<Endpoint> endpoints, Duration affinity) {
        return new ServiceRoute(WEB, FrontendKind.CLUSTER_IP, endpoints, policy, affinity);
    }

    private InetSocketAddress proxy(Transport.Kind kind, ServiceRoute route) throws Exception {
        return proxy(kind, InetAddress.getLoopbackAddress(), route, OPTIONS, Ejection.DEFAULT);
    }

    private InetSocketAddress proxy(Transport.Kind kind, InetAddress address, ServiceRoute route) throws Exception {
        return proxy(kind, address, route, OPTIONS, Ejection.DEFAULT);
    }

    private InetSocketAddress proxy(Transport.Kind kind, ServiceRoute route, TcpOptions options, Ejection ejection)
            throws Exception {
        return proxy(kind, InetAddress.getLoopbackAddress(), route, options, ejection);
    }

    private InetSocketAddress proxy(Transport.Kind kind, InetAddress address, ServiceRoute route, TcpOptions options,
            Ejection ejection) throws Exception {
        transport = Transport.create(kind, 2);
        balancer = new ServiceBalancer(WEB, System::nanoTime, ThreadLocalRandom::current, ejection);
        plane = new TcpDataPlane(transport, options);
        frontend = plane.open(new Frontend(address, 0, Protocol.TCP), balancer.tables(List.of(route)).get(0));
        return frontend.localAddress();
    }

    private static ServiceRoute route(List<Endpoint> endpoints, List<Cidr> sourceRanges, ProxyProtocol proxyProtocol) {
        return new ServiceRoute(WEB, FrontendKind.LOAD_BALANCER, endpoints, LbPolicy.ROUND_ROBIN, Duration.ZERO,
                sourceRanges, proxyProtocol);
    }

    private InetSocketAddress proxy(Transport.Kind kind, LbPolicy policy, List<Endpoint> endpoints) throws Exception {
        return proxy(kind, policy, endpoints, OPTIONS);
    }

    private InetSocketAddress proxy(Transport.Kind kind, LbPolicy policy, List<Endpoint> endpoints, TcpOptions options)
            throws Exception {
        return proxy(kind, policy, endpoints, options, Ejection.DEFAULT);
    }

    private InetSocketAddress proxy(Transport.Kind kind, LbPolicy policy, List<Endpoint> endpoints, TcpOptions options,
            Ejection ejection) throws Exception {
        return proxy(kind, clusterIp(policy, endpoints, Duration.ZERO), options, ejection);
    }

    private static List<Endpoint> endpoints(List<TestBackend> backends) {
        return backends.stream().map(TcpDataPlaneTest::endpoint).toList();
    }

    @ParameterizedTest
    @EnumSource(names = {"IO_URING", "EPOLL", "NIO"})
    void roundRobinSpreadsConnectionsEvenly(Transport.Kind kind) throws Exception {
        List<TestBackend> backends = backends(3);
        InetSocketAddress vip = proxy(kind, LbPolicy.ROUND_ROBIN, endpoints(backends));

        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            counts.merge(backendName(vip), 1, Integer::sum);
        }

        for (TestBackend b : backends) {
            int n = counts.getOrDefault(b.name(), 0);
            assertTrue(Math.abs(n - 100) <= 5, "backend " + b.name() + " got " + n + " of 300: " + counts);
        }
    }

    /**
     * Issue 13 item 4, end to end: kube-proxy's userspace roundrobin_test.go
     * TestLoadBalanceWorksWithMultipleEndpoints with a dead endpoint listed between live ones. Connects to it
     * are refused, each retried on the next endpoint, and after two it is ejected; its turns used to pass to
     * the endpoint after it, which served half of all connections (75 / 150 / 75).
     */
    @ParameterizedTest
    @EnumSource(names = {"IO_URING", "EPOLL", "NIO"})
    void roundRobinStaysEvenWhenADeadEndpointIsEjected(Transport.Kind kind) throws Exception {
        List<TestBackend> backends = backends(3);
        InetSocketAddress vip = proxy(kind, routeWithDeadEndpoint(backends, Duration.ZERO), OPTIONS, LONG_EJECTION);

        Shares.assertEven(names(backends), 300, 2, i -> backendName(vip));
        assertDeadEndpointEjected();
    }

    /**
     * As above with ClientIP affinity, each connection from a new client address (kube-proxy's
     * TestStickyLoadBalanceWorksWithMultipleEndpoints places new clients in turn): a client first pinned to
     * the dead endpoint moves with its retry.
     */
    @ParameterizedTest
    @EnumSource(names = {"IO_URING", "EPOLL", "NIO"})
    void clientIpAffinitySpreadsNewClientsEvenlyWhenADeadEndpointIsEjected(Transport.Kind kind) throws Exception {
        List<TestBackend> backends = backends(3);
        InetSocketAddress vip = proxy(kind, routeWithDeadEndpoint(backends, Duration.ofHours(3)), OPTIONS,
                LONG_EJECTION);

        Shares.assertEven(names(backends), 300, 2, i -> backendName(vip, Clients.loopbackClient(i)));
        assertDeadEndpointEjected();
    }

    /** Three live endpoints with a dead one second, so its turns used to fall to the same neighbour. */
    private static ServiceRoute routeWithDeadEndpoint(List<TestBackend> backends, Duration affinity)
            throws IOException {
        List<Endpoint> endpoints = new ArrayList<>(endpoints(backends));
        endpoints.add(1, new Endpoint(InetAddress.getLoopbackAddress(), deadPort()));
        return clusterIp(LbPolicy.ROUND_ROBIN, endpoints, affinity);
    }

    private void assertDeadEndpointEjected() {
        EndpointTable table = frontend.table();
        assertTrue(table.state(1).ejected(table.nanoTime()), "the dead endpoint is ejected: " + table.state(1));
    }

    private static List<String> names(List<TestBackend> backends) {
        return backends.stream().map(TestBackend::name).toList();
    }

    @ParameterizedTest
    @EnumSource(names = {"IO_URING", "EPOLL", "NIO"})
    void leastConnectionsSendsNewConnectionsToTheEndpointWithFewestOpen(Transport.Kind kind) throws Exception {
        List<TestBackend> backends = backends(3);
        InetSocketAddress vip = proxy(kind, LbPolicy.LEAST_CONNECTIONS, endpoints(backends));

        // Six long-lived connections: exact least-connections must place two on each backend.
        Map<String, List<Socket>> held = new HashMap<>();
        for (int i = 0; i < 6; i++) {
            Socket s = connect(vip);
            closeables.add(s);
            held.computeIfAbsent(readLine(s.getInputStream()), k -> new ArrayList<>()).add(s);
        }
        for (TestBackend b : backends) {
            assertEquals(2, held.getOrDefault(b.name(), List.of()).size(), "placement " + held.keySet());
        }

        // Free one backend entirely: the next two connections both go there.
        TestBackend freed = backends.get(1);
        for (Socket s : held.get(freed.name())) {
            s.close();
        }
        EndpointTable live = frontend.table();
        Conditions.await("proxy to release " + freed.name(), () -> activeOn(live, freed) == 0);
        for (int i = 0; i < 2; i++) {
            Socket s = connect(vip);
            closeables.add(s);
            assertEquals(freed.name(), readLine(s.getInputStream()), "connection " + i + " after freeing");
        }
        assertEquals(2, activeOn(live, backends.get(0)));
        assertEquals(2, activeOn(live, backends.get(2)));
    }

    private static int activeOn(EndpointTable table, TestBackend b) {
        for (int i = 0; i < table.size(); i++) {
            if (table.state(i).endpoint().equals(endpoint(b))) {
                return table.state(i).active();
            }
        }
        throw new AssertionError(b.name() + " not in table");
    }

    @ParameterizedTest
    @EnumSource(names = {"IO_URING", "EPOLL", "NIO"})
    void endpointChangeLeavesOpenConnectionsOnTheirEndpoint(Transport.Kind kind) throws Exception {
        List<TestBackend> backends = backends(2);
        TestBackend a = backends.get(0);
        TestBackend b = backends.get(1);
        InetSocketAddress vip = proxy(kind, LbPolicy.ROUND_ROBIN, List.of(endpoint(a)));
        Socket old = connect(vip);
        closeables.add(old);
        assertEquals(a.name(), readLine(old.getInputStream()));

        frontend.update(table(LbPolicy.ROUND_ROBIN, List.of(endpoint(b))));

        for (int i = 0; i < 10; i++) {
            assertEquals(b.name(), backendName(vip), "new connection " + i);
        }
        old.getOutputStream().write("still here\n".getBytes());
        assertEquals("still here", readLine(old.getInputStream()), "old connection keeps working through " + a.name());
    }

    @ParameterizedTest
    @EnumSource(names = {"IO_URING", "EPOLL", "NIO"})
    void retriesAnotherEndpointWhenOneIsDown(Transport.Kind kind) throws Exception {
        List<TestBackend> backends = backends(2);
        List<Endpoint> endpoints = new ArrayList<>(endpoints(backends));
        endpoints.add(1, new Endpoint(InetAddress.getLoopbackAddress(), deadPort()));
        InetSocketAddress vip = proxy(kind, LbPolicy.ROUND_ROBIN, endpoints);

        for (int i = 0; i < 100; i++) {
            String name = backendName(vip);
            assertTrue(name.equals("b0") || name.equals("b1"), "connection " + i + " reached " + name);
        }
        assertEquals(100, backends.get(0).accepted() + backends.get(1).accepted());
    }

    /** A port nothing listens on: connects to it are refused. */
    private static int deadPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"IO_URING", "EPOLL", "NIO"})
    void connectTimeoutMovesOnFromAnEndpointThatNeverAnswers(Transport.Kind kind) throws Exception {
        // A listener that never accepts, with its backlog full: Linux drops further SYNs, so a connect to
        // it hangs until the proxy's per-attempt timeout, the loopback stand-in for a vanished pod.
        ServerSocket blackHole = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        closeables.add(blackHole);
        for (int i = 0; i < 4; i++) {
            Socket filler = new Socket();
            closeables.add(filler);
            try {
                filler.connect(blackHole.getLocalSocketAddress(), 200);
            } catch (IOException expected) {
                break;
            }
        }
        List<TestBackend> live = backends(1);
        List<Endpoint> endpoints = List.of(new Endpoint(blackHole.getInetAddress(), blackHole.getLocalPort()),
                endpoint(live.get(0)));
        InetSocketAddress vip = proxy(kind, LbPolicy.ROUND_ROBIN, endpoints,
                new TcpOptions(Duration.ofMillis(200), 3, Duration.ZERO), LONG_EJECTION);

        for (int i = 0; i < 10; i++) {
            assertEquals("b0", backendName(vip), "connection " + i);
        }
        EndpointTable table = frontend.table();
        assertTrue(table.state(0).ejected(table.nanoTime()), "the silent endpoint is ejected after its timeouts");
    }

    @ParameterizedTest
    @EnumSource(names = {"IO_URING", "EPOLL", "NIO"})
    void idleConnectionsAreClosedAfterTheIdleTimeout(Transport.Kind kind) throws Exception {
        List<TestBackend> backends = backends(1);
        InetSocketAddress vip = proxy(kind, LbPolicy.ROUND_ROBIN, endpoints(backends),
                new TcpOptions(Duration.ofSeconds(1), 3, Duration.ofMillis(300)));
        // Before the connect: the proxy counts idleness from its own last read or write, which all follow it.
        long start = System.nanoTime();
        try (Socket s = connect(vip)) {
            InputStream in = s.getInputStream();
            assertEquals("b0", readLine(in));
            assertEquals(-1, in.read(), "the proxy closes an idle connection");
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(300), "not before the timeout");
        }
        Conditions.await("backend side closed too", () -> backends.get(0).openConnections() == 0);
    }

    /**
     * Issue 14 item 7 (no kube-proxy test case: kube-proxy leaves this to conntrack's CLOSE_WAIT timeout,
     * --conntrack-tcp-timeout-close-wait): the client has sent its request and its FIN, the endpoint accepts
     * and never answers; the pair closes after the half-close timeout, not after the hour of the idle timeout.
     */
    @ParameterizedTest
    @EnumSource(names = {"IO_URING", "EPOLL", "NIO"})
    void aHalfClosedConnectionWhoseEndpointNeverAnswersClosesAfterTheHalfCloseTimeout(Transport.Kind kind)
            throws Exception {
        ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        closeables.add(silent);
        CompletableFuture<Socket> accepted = CompletableFuture.supplyAsync(() -> {
            try {
                return silent.accept();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        InetSocketAddress vip = proxyWithHalfCloseTimeout(kind, silent);
        try (Socket s = connect(vip)) {
            s.getOutputStream().write("request\n".getBytes(StandardCharsets.US_ASCII));
            s.shutdownOutput();
            Socket endpointSide = accepted.get(10, TimeUnit.SECONDS);
            closeables.add(endpointSide);
            endpointSide.setSoTimeout(10_000);
            InputStream endpointIn = endpointSide.getInputStream();
            assertEquals("request", readLine(endpointIn));
            assertEquals(-1, endpointIn.read(), "the client's FIN is forwarded");
            long halfClosed = System.nanoTime();

            assertEquals(-1, s.getInputStream().read(), "the proxy closes the client side");
            assertTrue(System.nanoTime() - halfClosed >= TimeUnit.MILLISECONDS.toNanos(300), "not before the timeout");
        }
        Conditions.await("both sides closed", () -> plane.activeConnections() == 0);
    }

    /** A proxy to {@code endpoint} that closes a half-closed connection after 300 ms idle, an open one after 1 h. */
    private InetSocketAddress proxyWithHalfCloseTimeout(Transport.Kind kind, ServerSocket endpoint) throws Exception {
        return proxy(kind, LbPolicy.ROUND_ROBIN, List.of(new Endpoint(endpoint.getInetAddress(), endpoint.getLocalPort())),
                new TcpOptions(Duration.ofSeconds(1), 3, Duration.ofHours(1), Duration.ofMillis(300), false));
    }

    /** The half-close timeout counts idleness: an answer still streaming after the client's FIN is not cut. */
    @ParameterizedTest
    @EnumSource(names = {"IO_URING", "EPOLL", "NIO"})
    void aHalfClosedConnectionThatKeepsMovingOutlivesTheHalfCloseTimeout(Transport.Kind kind) throws Exception {
        ServerSocket slow = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        closeables.add(slow);
        // Answers with ten bytes a sixth of the timeout apart (the pause is the pacing, not a synchronisation).
        CompletableFuture.runAsync(() -> {
            try (Socket c = slow.accept()) {
                InputStream in = c.getInputStream();
                while (in.read() != -1) {
                    // The request, up to the client's FIN.
                }
                for (int i = 0; i < 10; i++) {
                    Thread.sleep(50);
                    c.getOutputStream().write('0' + i);
                }
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        InetSocketAddress vip = proxyWithHalfCloseTimeout(kind, slow);
        try (Socket s = connect(vip)) {
            s.getOutputStream().write("request\n".getBytes(StandardCharsets.US_ASCII));
            s.shutdownOutput();
            assertEquals("0123456789", new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
        }
    }

    /** Issue 14 item 6: what Junction does to the connections left at the end of the shutdown grace period. */
    @ParameterizedTest
    @EnumSource(names = {"IO_URING", "EPOLL", "NIO"})
    void resetAllSendsEveryOpenConnectionARst(Transport.Kind kind) throws Exception {
        List<TestBackend> backends = backends(1);
        InetSocketAddress vip = proxy(kind, LbPolicy.ROUND_ROBIN, endpoints(backends));
        try (Socket s = connect(vip)) {
            InputStream in = s.getInputStream();
            assertEquals("b0", readLine(in));

            plane.resetAll();

            assertThrows(SocketException.class, in::read, "a reset, not a clean close");
        }
        Conditions.await("the endpoint side is closed too", () -> backends.get(0).openConnections() == 0);
        // The count drops when the proxy's channels go inactive, which may be after the backend saw the RST.
        Conditions.await("no connection counted", () -> plane.activeConnections() == 0);
    }

    @ParameterizedTest
    @EnumSource(names = {"IO_URING", "EPOLL", "NIO"})
    void anIdleTimeoutBeyondNanosecondRangeMeansNever(Transport.Kind kind) throws Exception {
        List<TestBackend> backends = backends(1);
        InetSocketAddress vip = proxy(kind, LbPolicy.ROUND_ROBIN, endpoints(backends),
                new TcpOptions(Duration.ofSeconds(1), 3, Duration.ofDays(365L * 1_000)));
        try (Socket s = connect(vip)) {
            assertEquals("b0", readLine(s.getInputStream()));
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"IO_URING", "EPOLL", "NIO"})
    void trafficKeepsAConnectionOpenPastTheIdleTimeout(Transport.Kind kind) throws Exception {
        List<TestBackend> backends = backends(1);
        InetSocketAddress vip = proxy(kind, LbPolicy.ROUND_ROBIN, endpoints(backends),
                new TcpOptions(Duration.ofSeconds(1), 3, Duration.ofMillis(1000)));
        try (Socket s = connect(vip)) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            assertEquals("b0", readLine(in));
            // Three timeouts' worth of exchanges, paced a tenth of the timeout apart (the pause is the pacing,
            // not a synchronisation), so only a 900 ms stall of this thread could let the timeout fire.
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3000);
            long last = System.nanoTime();
            while (last < end) {
                Thread.sleep(100);
                out.write('x');
                assertEquals('x', in.read(), "the echo arrives: the connection is still open");
                last = System.nanoTime();
            }
            assertEquals(-1, in.read(), "closed once the traffic stops");
            assertTrue(System.nanoTime() - last >= TimeUnit.MILLISECONDS.toNanos(1000), "not before the timeout");
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"IO_URING", "EPOLL", "NIO"})
    void refusesAtOnceWhenNoEndpoints(Transport.Kind kind) throws Exception {
        InetSocketAddress vip = proxy(kind, LbPolicy.ROUND_ROBIN, List.of());
        Clients.assertReset(vip);
    }

    @ParameterizedTest
    @EnumSource(names = {"IO_URING", "EPOLL", "NIO"})
    void refusesClientsOutsideTheSourceRangesWithoutTouchingAnEndpoint(Transport.Kind kind) throws Exception {
        TestBackend backend = backends(1).get(0);
        InetSocketAddress vip = proxy(kind, route(List.of(endpoint(backend)),
                List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("192.0.2.0/24")), ProxyProtocol.NONE));

        Clients.assertReset(vip);
        assertEquals(0, backend.accepted(), "no endpoint is picked for a refused client");
    }

    @ParameterizedTest
    @EnumSource(names = {"IO_URING", "EPOLL", "NIO"})
    void servesClientsInsideTheSourceRanges(Transport.Kind kind) throws Exception {
        TestBackend backend = backends(1).get(0);
        InetSocketAddress vip = proxy(kind, route(List.of(endpoint(backend)),
                List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("127.0.0.0/8")), ProxyProtocol.NONE));

        assertEquals("b0", backendName(vip));
    }

    /**
     * TestLoadBalancer "same node to LB, SNATted to LB (implicitly allowed)": the route RouteBuilder builds when
     * the ranges hold this node's address also admits the LoadBalancer IP, the source a process on the node
     * gets when it calls a VIP that is local to the node. Bound explicitly here, since 127.0.0.0/8 routes name
     * 127.0.0.1 as their source.
     */
    @ParameterizedTest
    @EnumSource(names = {"IO_URING", "EPOLL", "NIO"})
    void admitsAClientWhoseSourceIsTheLoadBalancerIpItself(Transport.Kind kind) throws Exception {
        TestBackend backend = backends(1).get(0);
        InetAddress lbIp = Clients.unusedLoopbackVip().getAddress();
        InetSocketAddress vip = proxy(kind, lbIp, route(List.of(endpoint(backend)),
                List.of(Cidr.parse("192.0.2.0/24"), Cidr.host(lbIp)), ProxyProtocol.NONE));

        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(lbIp, 0));
            s.setSoTimeout(10_000);
            s.connect(vip, 5_000);
            assertEquals("b0", readLine(s.getInputStream()));
        }
        Clients.assertReset(vip);
        assertEquals(1, backend.accepted(), "the client from 127.0.0.1 reached no endpoint");
    }

    /** A node address of the short-circuit tests: a local source that counts as this node's own. */
    private static final InetAddress NODE_ADDRESS = address("127.0.0.5");
    /** A local source that stands for a client outside the node. */
    private static final InetAddress OUTSIDE = address("127.0.0.6");

    private static InetAddress address(String ip) {
        return Addresses.parse(ip);
    }

    /** A LoadBalancer route of an externalTrafficPolicy Local Service whose node address is {@link #NODE_ADDRESS}. */
    private static ServiceRoute externalLocal(List<Endpoint> local, List<Endpoint> cluster) {
        return new ServiceRoute(WEB, FrontendKind.LOAD_BALANCER, local, LbPolicy.ROUND_ROBIN, Duration.ZERO, CidrSet.EMPTY,
                ProxyProtocol.NONE, new ShortCircuit(CidrSet.of(List.of(Cidr.host(NODE_ADDRESS))), cluster));
    }

    /**
     * kube-proxy TestExternalTrafficPolicyLocal: "pod to LB IP hits both endpoints" (a client of this node),
     * "external to LB IP hits only local endpoint"; and the node calling its own VIP, which arrives from the
     * VIP (TestOverallNFTablesRules "short-circuit local traffic").
     */
    @ParameterizedTest
    @EnumSource(names = {"IO_URING", "EPOLL", "NIO"})
    void externalTrafficPolicyLocalShortCircuitsThisNodesOwnClientsToEveryEndpoint(Transport.Kind kind)
            throws Exception {
        List<TestBackend> backends = backends(2);
        InetSocketAddress vip = proxy(kind, externalLocal(List.of(endpoint(backends.get(0))), endpoints(backends)));

        for (int i = 0; i < 4; i++) {
            assertEquals("b0", backendName(vip, OUTSIDE), "a client outside the node gets the local endpoint only");
        }
        for (InetAddress own : new InetAddress[] {NODE_ADDRESS, vip.getAddress()}) {
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < 4; i++) {
                seen.add(backendName(vip, own));
            }
            assertEquals(Set.of("b0", "b1"), seen, "both endpoints from " + own);
        }
    }

    /**
     * The case, kube-proxy TestInternalExternalMasquerade "pod to LB with eTP:Local": on a node
     * without a local endpoint, this node's own client still reaches the Service, an outside one is reset.
     */
    @ParameterizedTest
    @EnumSource(names = {"IO_URING", "EPOLL", "NIO"})
    void externalTrafficPolicyLocalWithoutALocalEndpointRefusesOnlyOutsideClients(Transport.Kind kind) throws Exception {
        TestBackend elsewhere = backends(1).get(0);
        InetSocketAddress vip = proxy(kind, externalLocal(List.of(), List.of(endpoint(elsewhere))));

        Clients.assertReset(vip, OUTSIDE);
        assertEquals(0, elsewhere.accepted(), "no endpoint is picked for the outside client");
        assertEquals("b0", backendName(vip, NODE_ADDRESS));
    }

    @ParameterizedTest
    @EnumSource(names = {"IO_URING", "EPOLL", "NIO"})
    void backendReceivesAProxyV1HeaderBeforeTheClientsBytes(Transport.Kind kind) throws Exception {
        TestBackend backend = backends(1).get(0);
        InetSocketAddress vip = proxy(kind, route(List.of(endpoint(backend)), List.of(), ProxyProtocol.V1));

        try (Socket s = connect(vip)) {
            s.getOutputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            assertEquals("b0", readLine(in));
            // The test backend echoes what it receives: first the header, then the client's bytes.
            assertEquals("PROXY TCP4 127.0.0.1 " + vip.getAddress().getHostAddress() + ' ' + s.getLocalPort() + ' '
                    + vip.getPort() + '\r', readLine(in));
            assertEquals("hello", readLine(in));
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"IO_URING", "EPOLL", "NIO"})
    void backendReceivesAProxyV2HeaderBeforeTheClientsBytes(Transport.Kind kind) throws Exception {
        TestBackend backend = backends(1).get(0);
        InetSocketAddress vip = proxy(kind, route(List.of(endpoint(backend)), List.of(), ProxyProtocol.V2));

        try (Socket s = connect(vip)) {
            s.getOutputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            assertEquals("b0", readLine(in));
            ByteBuffer header = ByteBuffer.wrap(in.readNBytes(28));
            byte[] signature = new byte[12];
            header.get(signature);
            assertArrayEquals(ProxyHeader.V2_SIGNATURE, signature);
            assertEquals(0x21, header.get(), "version 2, PROXY command");
            assertEquals(0x11, header.get(), "TCP over IPv4");
            assertEquals(12, header.getShort());
            byte[] address = new byte[4];
            header.get(address);
            assertArrayEquals(new byte[] {127, 0, 0, 1}, address);
            header.get(address);
            assertArrayEquals(vip.getAddress().getAddress(), address);
            assertEquals(s.getLocalPort(), header.getShort() & 0xffff);
            assertEquals(vip.getPort(), header.getShort() & 0xffff);
            assertEquals("hello", readLine(in));
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"IO_URING", "EPOLL", "NIO"})
    void halfCloseStillDeliversTheFullReply(Transport.Kind kind) throws Exception {
        List<TestBackend> backends = backends(1);
        InetSocketAddress vip = proxy(kind, LbPolicy.ROUND_ROBIN, endpoints(backends));
        byte[] request = new byte[1 << 20];
        new SplittableRandom(1).nextBytes(request);

        try (Socket s = connect(vip)) {
            OutputStream out = s.getOutputStream();
            out.write(request);
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            assertEquals("b0", readLine(in));
            byte[] reply = in.readAllBytes();
            assertEquals(request.length, reply.length, "reply length after half-close");
            assertTrue(java.util.Arrays.equals(request, reply), "reply differs from request");
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"IO_URING", "EPOLL", "NIO"})
    void carries256MiBEachWayIntact(Transport.Kind kind) throws Exception {
        List<TestBackend> backends = backends(1);
        InetSocketAddress vip = proxy(kind, LbPolicy.ROUND_ROBIN, endpoints(backends));
        long total = 256L << 20;

        try (Socket s = connect(vip)) {
            s.setSoTimeout(60_000);
            InputStream in = s.getInputStream();
            assertEquals("b0", readLine(in));
            CompletableFuture<Long> sent = CompletableFuture.supplyAsync(() -> {
                try {
                    return writePattern(s.getOutputStream(), total, 7);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            CRC32 received = new CRC32();
            byte[] buf = new byte[64 * 1024];
            long got = 0;
            while (got < total) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, total - got));
                assertTrue(n > 0, "stream ended after " + got + " bytes");
                received.update(buf, 0, n);
                got += n;
            }
            assertEquals(sent.get(60, TimeUnit.SECONDS), received.getValue(), "checksum of the echoed stream");
        }
    }

    /** Writes {@code total} pseudo-random bytes and returns their CRC32. */
    private static long writePattern(OutputStream out, long total, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        CRC32 crc = new CRC32();
        byte[] buf = new byte[64 * 1024];
        for (long done = 0; done < total; done += buf.length) {
            random.nextBytes(buf);
            int n = (int) Math.min(buf.length, total - done);
            crc.update(buf, 0, n);
            out.write(buf, 0, n);
        }
        out.flush();
        return crc.getValue();
    }

    @ParameterizedTest
    @EnumSource(names = {"IO_URING", "EPOLL", "NIO"})
    void slowReaderDoesNotGrowProxyMemory(Transport.Kind kind) throws Exception {
        long total = 1L << 30;
        AtomicLong written = new AtomicLong();
        ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        closeables.add(server);
        Thread writer = new Thread(() -> {
            try (Socket s = server.accept(); OutputStream out = s.getOutputStream()) {
                byte[] chunk = new byte[64 * 1024];
                while (written.get() < total) {
                    out.write(chunk);
                    written.addAndGet(chunk.length);
                }
            } catch (IOException ignored) {
                // The test closed the connection early after a failure.
            }
        }, "bulk-backend");
        writer.setDaemon(true);
        writer.start();
        InetSocketAddress vip = proxy(kind, LbPolicy.ROUND_ROBIN,
                List.of(new Endpoint(InetAddress.getLoopbackAddress(), server.getLocalPort())));
        long baseline = transport.pooledDirectMemory();

        try (Socket s = connect(vip)) {
            s.setSoTimeout(60_000);
            // The client reads nothing: the backend must stall once socket buffers and the proxy's bounded
            // buffers are full. "Stalled" = no progress over forty consecutive polls (about 200 ms).
            long[] last = {-1};
            int[] still = {0};
            long[] peak = {0};
            Conditions.await("backend to stall", Duration.ofSeconds(30), () -> {
                peak[0] = Math.max(peak[0], transport.pooledDirectMemory());
                long now = written.get();
                still[0] = now == last[0] && now > 0 ? still[0] + 1 : 0;
                last[0] = now;
                return still[0] >= 40;
            });
            long stalledAt = written.get();
            assertTrue(stalledAt < 128L << 20, "backend wrote " + stalledAt + " bytes to a client that reads nothing");
            // The pool grows in 4 MiB chunks per arena, and a read batch can overshoot the water mark before
            // reading pauses, so the bound is a few chunks; without backpressure this reaches the 512 MiB cap.
            long held = peak[0] - baseline;
            assertTrue(held <= MEMORY_BOUND, "proxy pooled direct memory grew by " + held + " bytes");

            // Now read everything: all 1 GiB arrives, and memory stays bounded throughout.
            InputStream in = s.getInputStream();
            byte[] buf = new byte[256 * 1024];
            long got = 0;
            int n;
            while (got < total && (n = in.read(buf)) > 0) {
                got += n;
                if ((got & ((16 << 20) - 1)) < n) {
                    peak[0] = Math.max(peak[0], transport.pooledDirectMemory());
                }
            }
            assertEquals(total, got, "bytes delivered");
            assertTrue(peak[0] - baseline <= MEMORY_BOUND, "proxy pooled direct memory peaked at +" + (peak[0] - baseline));
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"IO_URING", "EPOLL", "NIO"})
    void closingTheListenerLeavesEstablishedConnectionsAlone(Transport.Kind kind) throws Exception {
        List<TestBackend> backends = backends(1);
        InetSocketAddress vip = proxy(kind, LbPolicy.ROUND_ROBIN, endpoints(backends));
        try (Socket s = connect(vip)) {
            assertEquals("b0", readLine(s.getInputStream()));
            frontend.close();
            frontend = null;
            // NIO closes the kernel socket only when its selector deregisters the key, a moment after the close
            // future completes; until then the kernel may still complete a handshake.
            Conditions.await("the listener to be gone", () -> !Clients.reachable(vip));
            s.getOutputStream().write("after close\n".getBytes());
            assertEquals("after close", readLine(s.getInputStream()));
        }
        assertNotEquals(0, backends.get(0).accepted());
    }
}
