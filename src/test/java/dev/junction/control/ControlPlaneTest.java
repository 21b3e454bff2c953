package dev.junction.control;

import static dev.junction.control.Fixtures.port;
import static dev.junction.control.Fixtures.slice;
import static dev.junction.control.Fixtures.slicePort;
import static dev.junction.testing.Clients.backendName;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.capture.Capture;
import dev.junction.dataplane.DataPlane;
import dev.junction.dataplane.FrontendBindException;
import dev.junction.dataplane.FrontendHandle;
import dev.junction.dataplane.Transport;
import dev.junction.dataplane.tcp.TcpDataPlane;
import dev.junction.dataplane.tcp.TcpOptions;
import dev.junction.lb.EndpointTable;
import dev.junction.lb.ServiceBalancer;
import dev.junction.model.Frontend;
import dev.junction.model.LbPolicy;
import dev.junction.model.Protocol;
import dev.junction.testing.Clients;
import dev.junction.testing.Conditions;
import dev.junction.testing.TestBackend;
import dev.junction.testing.Warnings;
import io.kubernetes.client.openapi.models.V1Endpoint;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1LoadBalancerIngress;
import io.kubernetes.client.openapi.models.V1LoadBalancerStatus;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServiceStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The control plane end to end: objects in, listeners and tables out, over real sockets. */
class ControlPlaneTest {

    private Transport transport;
    private SimpleMeterRegistry meters;
    private ControlPlane control;
    private TcpDataPlane tcp;
    private TestBackend a;
    private TestBackend b;
    private InetSocketAddress vip;

    @BeforeEach
    void setUp() throws IOException {
        transport = Transport.create(Transport.Kind.AUTO, 1);
        tcp = new TcpDataPlane(transport, new TcpOptions(Duration.ofSeconds(1), 3, Duration.ZERO));
        control = controlPlane(tcp);
        control.start();
        a = TestBackend.start("a");
        b = TestBackend.start("b");
        InetAddress ip = InetAddress.getByAddress(new byte[] {127, 0, 7, 1});
        try (ServerSocket s = new ServerSocket(0, 1, ip)) {
            vip = new InetSocketAddress(ip, s.getLocalPort());
        }
    }

    @AfterEach
    void tearDown() throws IOException {
        control.close();
        transport.close();
        a.close();
        b.close();
    }

    /** A control plane on node-a whose metrics {@link #recorded} reads. */
    private ControlPlane controlPlane(DataPlane plane) {
        meters = new SimpleMeterRegistry();
        return new ControlPlane("node-a", List.of(), LbPolicy.ROUND_ROBIN, Map.of(Protocol.TCP, plane), Capture.none(),
                ServiceBalancer::create, meters);
    }

    /** Service and EndpointSlice changes the control plane has recorded, before sync as well as after. */
    private double recorded() {
        return meters.get("kubeproxy.sync.proxy.rules.service.changes").counter().count()
                + meters.get("kubeproxy.sync.proxy.rules.endpoint.changes").counter().count();
    }

    private V1Service web() {
        V1Service svc = Fixtures.service("web", port("http", vip.getPort()));
        svc.getSpec().clusterIP(vip.getAddress().getHostAddress()).clusterIPs(null)
                .addClusterIPsItem(vip.getAddress().getHostAddress());
        return svc;
    }

    /** The source's initial state: web, with one endpoint, backend a; applied. */
    private void syncWebOnA() {
        control.upsert(web());
        control.upsert(webSlice(a));
        control.synced();
        control.flush();
    }

    /** A second Service with web's ClusterIP and port, which web already holds. */
    private V1Service apiOnWebsFrontend() {
        V1Service api = Fixtures.service("api", port("http", vip.getPort()));
        api.getSpec().clusterIP(vip.getAddress().getHostAddress()).clusterIPs(null)
                .addClusterIPsItem(vip.getAddress().getHostAddress());
        return api;
    }

    private static V1EndpointSlice webSlice(TestBackend... backends) {
        V1EndpointSlice s = slice("web-1", "web", slicePort("http", backends[0].port()));
        for (TestBackend t : backends) {
            s.addEndpointsItem(new V1Endpoint().addAddressesItem(t.address().getHostAddress()));
        }
        return s;
    }

    @Test
    void nothingIsProgrammedBeforeTheSourceHasSynced() throws IOException {
        control.upsert(web());
        control.upsert(webSlice(a));
        control.flush();
        // Once the control plane has recorded both, no listener may exist yet (and no batch counts as applied).
        Conditions.awaitEquals("both changes recorded", 2.0, this::recorded);
        assertEquals(0, control.appliedBatches());
        assertFalse(reachable(), "listening before sync");

        control.synced();
        control.flush();
        Conditions.await("listener after sync", this::reachable);
        assertEquals("a", backendName(vip));
    }

    @Test
    void aFlushAppliesWhatWasQueuedOnTheCallingThreadBeforeItReturns() {
        control.upsert(web());
        control.upsert(webSlice(a));
        control.synced();
        assertEquals(0, recorded(), "queued, not applied, until flushed");

        control.flush();
        assertEquals(2, recorded());
        assertEquals(1, control.appliedBatches(), "the three deliveries are one batch");
        assertTrue(reachable(), "listening when flush returns");
        assertEquals("a", backendName(vip));
    }

    @Test
    void aFlushWhileAnotherThreadAppliesReturnsAtOnceAndThatThreadAppliesItNext() throws Exception {
        CountDownLatch binding = new CountDownLatch(1);
        CountDownLatch bind = new CountDownLatch(1);
        DataPlane held = new DataPlane() {
            @Override
            public FrontendHandle open(Frontend frontend, EndpointTable table) throws FrontendBindException {
                binding.countDown();
                try {
                    bind.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return tcp.open(frontend, table);
            }
        };
        control.close();
        control = controlPlane(held);
        Thread source = new Thread(() -> {
            control.upsert(web());
            control.upsert(webSlice(a));
            control.synced();
            control.flush();
        }, "first-source");
        source.start();
        assertTrue(binding.await(10, TimeUnit.SECONDS), "the first batch is applying");

        control.upsert(webSlice(b));
        assertTimeoutPreemptively(Duration.ofSeconds(5), control::flush, "a flush does not wait for another's batch");
        assertEquals(2, recorded(), "nothing applied by the second flush");

        bind.countDown();
        source.join(10_000);
        assertEquals(3, recorded(), "the first source applied the second one's change after its own");
        assertEquals(2, control.appliedBatches());
        assertEquals("b", backendName(vip));
    }

    @Test
    void aPersistentProblemIsLoggedWhenItAppearsNotOnEveryChange() {
        try (Warnings log = new Warnings(ControlPlane.class)) {
            List<String> warnings = log.lines;
            V1Service withSctp = web();
            withSctp.getSpec().addPortsItem(port("signal", 3868).protocol("SCTP"));
            control.upsert(withSctp);
            control.upsert(webSlice(a));
            control.synced();
            control.flush();
            assertEquals(List.of("service ns/web port signal: SCTP is not proxied"), warnings);

            // Endpoint changes rebuild the Service; the problem is still there and is not logged again.
            control.upsert(webSlice(b));
            control.flush();
            control.upsert(webSlice(a, b));
            control.flush();
            assertEquals("a", backendName(vip), "the rebuilds took effect");
            assertEquals(1, warnings.size(), warnings.toString());

            // Gone, then back: reported again.
            control.upsert(web());
            control.flush();
            control.upsert(withSctp);
            control.flush();
            assertEquals(2, warnings.size(), warnings.toString());
        }
    }

    @Test
    void aServiceRefusedAFrontendIsToldOnceNotOnEveryChange() {
        syncWebOnA();
        V1Service api = apiOnWebsFrontend();
        try (Warnings log = new Warnings(ControlPlane.class)) {
            control.upsert(api);
            control.flush();
            for (TestBackend backend : List.of(a, b, a)) {
                control.upsert(slice("api-1", "api", slicePort("http", backend.port()))
                        .addEndpointsItem(new V1Endpoint().addAddressesItem(backend.address().getHostAddress())));
                control.flush();
            }
            assertEquals(1, log.lines.size(), log.lines.toString());
            assertTrue(log.lines.get(0).contains("is already used by ns/web"), log.lines.get(0));
        }
        assertEquals("a", backendName(vip), "web keeps the frontend");
    }

    @Test
    void nodePortsMoveWithTheNodesAddresses() throws IOException {
        InetAddress first = InetAddress.getByAddress(new byte[] {127, 0, 9, 1});
        InetAddress second = InetAddress.getByAddress(new byte[] {127, 0, 9, 2});
        int nodePort;
        try (ServerSocket s = new ServerSocket(0, 1, first)) {
            nodePort = s.getLocalPort();
        }
        List<InetAddress> nodeAddresses = new CopyOnWriteArrayList<>(List.of(first));
        control.close();
        control = new ControlPlane("node-a", List.copyOf(nodeAddresses), LbPolicy.ROUND_ROBIN,
                Map.of(Protocol.TCP, tcp), Capture.none(), ServiceBalancer::create);
        control.followNodePortAddresses(() -> List.copyOf(nodeAddresses));
        V1Service svc = web();
        svc.getSpec().type("NodePort").getPorts().get(0).nodePort(nodePort);
        control.upsert(svc);
        control.upsert(webSlice(a));
        control.synced();
        control.flush();
        assertEquals("a", backendName(new InetSocketAddress(first, nodePort)));

        control.refreshNodePortAddresses();
        assertEquals(1, control.appliedBatches(), "unchanged addresses change nothing");

        nodeAddresses.set(0, second);
        control.refreshNodePortAddresses();
        assertEquals("a", backendName(new InetSocketAddress(second, nodePort)), "the new address serves the NodePort");
        assertFalse(reachable(new InetSocketAddress(first, nodePort)), "the old address no longer listens");
        assertEquals("a", backendName(vip), "the ClusterIP is untouched");
    }

    /**
     * TestLoadBalancer "same node to LB, SNATted to LB (implicitly allowed)", from objects to sockets: ranges that
     * hold this node's address admit a client whose source is the LoadBalancer IP (a process on the node calling
     * a VIP local to it), and still refuse a source outside them.
     */
    @Test
    void rangesHoldingThisNodeAdmitAClientWhoseSourceIsTheLoadBalancerIp() throws IOException {
        InetAddress nodeIp = InetAddress.getByAddress(new byte[] {127, 0, 9, 3});
        InetAddress lbIp = InetAddress.getByAddress(new byte[] {127, 0, 7, 2});
        control.close();
        control = new ControlPlane("node-a", List.of(nodeIp), LbPolicy.ROUND_ROBIN, Map.of(Protocol.TCP, tcp),
                Capture.none(), ServiceBalancer::create);
        V1Service svc = web();
        svc.getSpec().type("LoadBalancer").loadBalancerSourceRanges(List.of("127.0.9.0/24"));
        svc.status(new V1ServiceStatus().loadBalancer(new V1LoadBalancerStatus()
                .addIngressItem(new V1LoadBalancerIngress().ip(lbIp.getHostAddress()))));
        control.upsert(svc);
        control.upsert(webSlice(a));
        control.synced();
        control.flush();
        InetSocketAddress lb = new InetSocketAddress(lbIp, vip.getPort());

        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(lbIp, 0));
            s.setSoTimeout(10_000);
            s.connect(lb, 1_000);
            assertEquals("a", Clients.readLine(s.getInputStream()));
        }
        Clients.assertReset(lb);
    }

    @Test
    void endpointChangesAndDeletionReachTheDataPlane() {
        syncWebOnA();
        Conditions.await("listener", this::reachable);
        assertEquals("a", backendName(vip));

        control.upsert(webSlice(b));
        control.flush();
        Conditions.awaitEquals("traffic moves to b", "b", () -> backendName(vip));

        control.delete(webSlice(b));
        control.flush();
        Conditions.await("refused without endpoints", () -> !answers());

        control.delete(web());
        control.flush();
        Conditions.await("listener closed with its Service", () -> !reachable());
    }

    @Test
    void aFrontendReleasedByOneServiceGoesToAServiceThatWasRefusedIt() {
        syncWebOnA();
        Conditions.awaitEquals("web serves the frontend", "a", this::servedBy);

        // A second Service with the same ClusterIP and port: refused while web holds the frontend.
        V1Service api = apiOnWebsFrontend();
        control.upsert(api);
        control.upsert(slice("api-1", "api", slicePort("http", b.port()))
                .addEndpointsItem(new V1Endpoint().addAddressesItem(b.address().getHostAddress())));
        control.flush();
        Conditions.awaitEquals("both recorded", 4.0, this::recorded);
        assertEquals("a", backendName(vip));

        control.delete(web());
        control.flush();
        Conditions.awaitEquals("api takes the released frontend over", "b", this::servedBy);
    }

    private boolean reachable() {
        return reachable(vip);
    }

    private static boolean reachable(InetSocketAddress address) {
        try (Socket s = new Socket()) {
            s.connect(address, 1_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The backend that answered, or "" when nothing did (the listener may be changing hands). */
    private String servedBy() {
        try {
            return backendName(vip);
        } catch (RuntimeException e) {
            return "";
        }
    }

    private boolean answers() {
        return !servedBy().isEmpty();
    }
}
