package dev.junction.control;

import static dev.junction.control.Fixtures.port;
import static dev.junction.control.Fixtures.slice;
import static dev.junction.control.Fixtures.slicePort;
import static dev.junction.testing.Clients.backendName;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.junction.capture.Capture;
import dev.junction.dataplane.Transport;
import dev.junction.dataplane.tcp.TcpDataPlane;
import dev.junction.dataplane.tcp.TcpOptions;
import dev.junction.model.LbPolicy;
import dev.junction.model.Protocol;
import dev.junction.testing.Conditions;
import dev.junction.testing.TestBackend;
import io.kubernetes.client.openapi.models.V1Endpoint;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1Service;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The control thread end to end: objects in, listeners and tables out, over real sockets. */
class ControlPlaneTest {

    private Transport transport;
    private ControlPlane control;
    private TestBackend a;
    private TestBackend b;
    private InetSocketAddress vip;

    @BeforeEach
    void setUp() throws IOException {
        transport = Transport.create(Transport.Kind.AUTO, 1);
        TcpDataPlane tcp = new TcpDataPlane(transport, new TcpOptions(Duration.ofSeconds(1), 3, Duration.ZERO));
        control = new ControlPlane("node-a", LbPolicy.ROUND_ROBIN, Map.of(Protocol.TCP, tcp), Capture.none());
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

    private V1Service web() {
        V1Service svc = Fixtures.service("web", port("http", vip.getPort()));
        svc.getSpec().clusterIP(vip.getAddress().getHostAddress()).clusterIPs(null)
                .addClusterIPsItem(vip.getAddress().getHostAddress());
        return svc;
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
        // Once the control thread has handled both, no listener may exist yet (and no batch counts as applied).
        Conditions.awaitEquals("both events handled", 2L, control::handledEvents);
        assertEquals(0, control.appliedBatches());
        assertFalse(reachable(), "listening before sync");

        control.synced();
        Conditions.await("listener after sync", this::reachable);
        assertEquals("a", backendName(vip));
    }

    @Test
    void endpointChangesAndDeletionReachTheDataPlane() {
        control.upsert(web());
        control.upsert(webSlice(a));
        control.synced();
        Conditions.await("listener", this::reachable);
        assertEquals("a", backendName(vip));

        control.upsert(webSlice(b));
        Conditions.awaitEquals("traffic moves to b", "b", () -> backendName(vip));

        control.delete(webSlice(b));
        Conditions.await("refused without endpoints", () -> !answers());

        control.delete(web());
        Conditions.await("listener closed with its Service", () -> !reachable());
    }

    @Test
    void aFrontendReleasedByOneServiceGoesToAServiceThatWasRefusedIt() {
        control.upsert(web());
        control.upsert(webSlice(a));
        control.synced();
        Conditions.awaitEquals("web serves the frontend", "a", this::servedBy);

        // A second Service with the same ClusterIP and port: refused while web holds the frontend.
        V1Service api = Fixtures.service("api", port("http", vip.getPort()));
        api.getSpec().clusterIP(vip.getAddress().getHostAddress()).clusterIPs(null)
                .addClusterIPsItem(vip.getAddress().getHostAddress());
        control.upsert(api);
        control.upsert(slice("api-1", "api", slicePort("http", b.port()))
                .addEndpointsItem(new V1Endpoint().addAddressesItem(b.address().getHostAddress())));
        Conditions.awaitEquals("both handled", 5L, control::handledEvents);
        assertEquals("a", backendName(vip));

        control.delete(web());
        Conditions.awaitEquals("api takes the released frontend over", "b", this::servedBy);
    }

    private boolean reachable() {
        try (Socket s = new Socket()) {
            s.connect(vip, 1_000);
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
