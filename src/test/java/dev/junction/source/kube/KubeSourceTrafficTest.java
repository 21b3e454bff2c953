package dev.junction.source.kube;

import static dev.junction.source.kube.ApiObjects.service;
import static dev.junction.source.kube.ApiObjects.slice;
import static dev.junction.testing.Clients.backendName;
import static dev.junction.testing.Clients.reachable;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.junction.capture.Capture;
import dev.junction.control.ControlPlane;
import dev.junction.dataplane.Transport;
import dev.junction.dataplane.tcp.TcpDataPlane;
import dev.junction.dataplane.tcp.TcpOptions;
import dev.junction.model.LbPolicy;
import dev.junction.model.Protocol;
import dev.junction.source.ObjectValidator;
import dev.junction.testing.Clients;
import dev.junction.testing.Conditions;
import dev.junction.testing.FakeApiServer;
import dev.junction.testing.FakeApiServer.Resource;
import dev.junction.testing.RecordingSink;
import dev.junction.testing.TestBackend;
import io.kubernetes.client.openapi.ApiClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** API server → kube source → control plane → TCP data plane: changes in the API move real traffic. */
class KubeSourceTrafficTest {

    private static final Logger log = LoggerFactory.getLogger(KubeSourceTrafficTest.class);

    private final FakeApiServer api = FakeApiServer.start();
    private final List<String> problems = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private ControlPlane control;
    private RecordingSink sink;
    private InetSocketAddress vip;
    private List<TestBackend> backends;

    @BeforeEach
    void setUp() throws IOException {
        Transport transport = Transport.create(Transport.Kind.AUTO, 1);
        closeables.add(transport);
        TcpDataPlane tcp = new TcpDataPlane(transport, new TcpOptions(Duration.ofSeconds(1), 3, Duration.ZERO));
        control = new ControlPlane("node-a", LbPolicy.ROUND_ROBIN, Map.of(Protocol.TCP, tcp), Capture.none());
        control.start();
        closeables.add(control);
        sink = new RecordingSink(control);
        vip = Clients.unusedLoopbackVip();
        backends = new ArrayList<>();
        TestBackend first = TestBackend.start("b1");
        backends.add(first);
        for (int i = 2; i <= 3; i++) {
            backends.add(TestBackend.start("b" + i, InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) i}),
                    first.port()));
        }
        closeables.addAll(backends);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        api.close();
    }

    private void startSource() {
        // Quick retries, so that recovering from an outage does not make the test slow. The backends listen on
        // loopback addresses, which an API server would refuse as endpoints.
        KubeSource source = new KubeSource(new ApiClient().setBasePath(api.url()), "node-a", sink,
                ObjectValidator.allowingLoopbackEndpoints(), problems::add, new WatchSettings(Duration.ofMinutes(5),
                        Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofSeconds(10)));
        source.start();
        // Closed before the control plane, as Junction does.
        closeables.add(source);
    }

    private String webSlice(int... backendIndexes) {
        String[] ips = new String[backendIndexes.length];
        for (int i = 0; i < ips.length; i++) {
            ips[i] = backends.get(backendIndexes[i]).address().getHostAddress();
        }
        return slice("web-1", "web", backends.get(0).port(), ips);
    }

    private Set<String> namesSeen(int connections) {
        return namesSeen(vip, connections);
    }

    private static Set<String> namesSeen(InetSocketAddress address, int connections) {
        Set<String> names = new HashSet<>();
        for (int i = 0; i < connections; i++) {
            names.add(backendName(address));
        }
        return names;
    }

    private Set<String> namesSeenOrRefused(int connections) {
        try {
            return namesSeen(connections);
        } catch (UncheckedIOException e) {
            return Set.of("refused");
        }
    }

    @Test
    void addModifyDeleteMoveTraffic() {
        startSource();
        Conditions.await("synced", () -> sink.events().contains("synced"));
        assertFalse(reachable(vip));

        api.apply(service("web", vip));
        api.apply(webSlice(0));
        Conditions.await("the service to listen", () -> reachable(vip));
        // The two watches are independent: the Service may listen a moment before its endpoints arrive.
        Conditions.awaitEquals("traffic to b1", Set.of("b1"), () -> namesSeenOrRefused(4));

        api.apply(webSlice(1, 2));
        Conditions.awaitEquals("traffic to move to b2 and b3", Set.of("b2", "b3"), () -> namesSeen(6));

        // A watch drop and a relist later, the same state still serves and changes still arrive.
        api.dropWatches();
        api.apply(webSlice(0, 2));
        Conditions.awaitEquals("traffic after a dropped watch", Set.of("b1", "b3"), () -> namesSeen(6));
        api.expireWatches();
        api.apply(webSlice(1));
        Conditions.awaitEquals("traffic after a relist", Set.of("b2"), () -> namesSeen(4));

        api.delete(Resource.SERVICES, "shop", "web");
        Conditions.await("the listener to close with its Service", () -> !reachable(vip));
        assertEquals(List.of(), problems);
    }

    @Test
    void apiServerOutageKeepsServingAndCatchesUpAfter() throws IOException {
        api.apply(service("web", vip));
        api.apply(webSlice(0, 1));
        startSource();
        Conditions.await("the service to listen", () -> reachable(vip));
        Conditions.awaitEquals("traffic to b1 and b2", Set.of("b1", "b2"), () -> namesSeenOrRefused(6));

        api.outage();
        // Every connection made while the API server is gone still reaches the last applied endpoints.
        for (int i = 0; i < 10; i++) {
            assertEquals(Set.of("b1", "b2"), namesSeen(2), "round " + i + " during the outage");
        }
        api.apply(webSlice(2));
        api.recover();
        Conditions.awaitEquals("the change made during the outage", Set.of("b3"), () -> namesSeen(4));
        assertEquals(List.of(), problems);
    }

    /**
     * etcd restored from a backup behind an API server that restarts: the watches ask for a resourceVersion
     * the server has not reached (504, cause ResourceVersionTooLarge), and client-go's reflector relists
     * from etcd (reflector.go, isTooLargeResourceVersionError). A Service deleted after the restore, and
     * one created after the backup, stop being served; the restored state keeps serving.
     */
    @Test
    void aServiceDeletedAfterEtcdIsRestoredStopsBeingServed() throws IOException {
        InetSocketAddress lateVip = Clients.unusedLoopbackVip();
        InetSocketAddress keptVip = Clients.unusedLoopbackVip();
        api.apply(service("web", vip));
        api.apply(webSlice(0));
        api.apply(service("kept", keptVip));
        api.apply(slice("kept-1", "kept", backends.get(0).port(), backends.get(1).address().getHostAddress()));
        startSource();
        Conditions.await("the services to listen", () -> reachable(vip) && reachable(keptVip));
        FakeApiServer.Backup backup = api.backup();

        // Writes the restore will lose, enough that the versions held stay ahead of the restored server's.
        for (int i = 0; i < 20; i++) {
            api.apply(slice("filler-1", "filler", 9, "10.9.9." + (i + 1)));
        }
        api.apply(service("late", lateVip));
        api.apply(slice("late-1", "late", backends.get(0).port(), backends.get(2).address().getHostAddress()));
        Conditions.await("the late service to listen", () -> reachable(lateVip));

        api.restore(backup);
        api.dropWatches();
        long deleted = System.nanoTime();
        api.delete(Resource.SERVICES, "shop", "web");
        Conditions.await("the deleted Service to stop listening", () -> !reachable(vip));
        Conditions.await("the Service the restore lost to stop listening", () -> !reachable(lateVip));
        log.info("converged {} ms after the deletion", (System.nanoTime() - deleted) / 1_000_000);
        assertEquals(Set.of("b2"), namesSeen(keptVip, 4));

        // Watching again: later changes arrive.
        api.apply(slice("kept-1", "kept", backends.get(0).port(), backends.get(2).address().getHostAddress()));
        Conditions.awaitEquals("a change after the restore", Set.of("b3"), () -> namesSeen(keptVip, 4));
        assertEquals(List.of(), problems);
    }

    @Test
    void nothingIsProgrammedBeforeBothListsComplete() {
        api.apply(service("web", vip));
        api.apply(webSlice(0));
        api.holdLists(Resource.ENDPOINT_SLICES);
        startSource();
        Conditions.await("the Service to be delivered", () -> sink.events().contains("upsert V1Service shop/web"));
        Conditions.await("the slice list to be pending", () -> api.count("LIST /apis/discovery.k8s.io") == 1);
        // A negative: the frontend must stay closed while the slice list is held.
        for (int i = 0; i < 20; i++) {
            assertFalse(reachable(vip), "listening before the EndpointSlice list completed");
        }
        api.releaseLists(Resource.ENDPOINT_SLICES);
        Conditions.await("the service to listen", () -> reachable(vip));
        // Programmed from the complete picture: the first connection already has its endpoint.
        assertEquals(Set.of("b1"), namesSeen(3));
    }

    @Test
    void malformedUpdateKeepsTheLastGoodStateServing() {
        api.apply(service("web", vip));
        api.apply(webSlice(0, 1));
        startSource();
        Conditions.await("the service to listen", () -> reachable(vip));
        Conditions.awaitEquals("traffic to b1 and b2", Set.of("b1", "b2"), () -> namesSeen(6));

        api.apply(slice("web-1", "web", backends.get(0).port(), "300.1.2.3"));
        api.apply(service("web", vip.getAddress().getHostAddress(), vip.getPort(), "")
                .replaceAll("\"ports\": \\[.*?\\]}", "\"ports\": []}"));
        Conditions.await("both problems reported", () -> problems.size() == 2);
        long applied = control.appliedBatches();
        api.apply(slice("other-1", "other", 9, "10.9.9.9"));
        Conditions.await("a later valid change to apply", () -> control.appliedBatches() > applied);
        assertEquals(Set.of("b1", "b2"), namesSeen(6));

        api.apply(webSlice(2));
        Conditions.awaitEquals("the fixed slice to apply", Set.of("b3"), () -> namesSeen(4));
    }

}
