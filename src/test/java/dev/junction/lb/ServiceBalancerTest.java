package dev.junction.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.model.Addresses;
import dev.junction.model.Cidr;
import dev.junction.model.CidrSet;
import dev.junction.model.Endpoint;
import dev.junction.model.FrontendKind;
import dev.junction.model.LbPolicy;
import dev.junction.model.Protocol;
import dev.junction.model.ProxyProtocol;
import dev.junction.model.ServicePortName;
import dev.junction.model.ServiceRoute;
import dev.junction.model.ShortCircuit;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Selection, affinity and ejection, with an injected clock and random source. */
class ServiceBalancerTest {

    private static final ServicePortName WEB = new ServicePortName("default", "web", "http", Protocol.TCP);
    private static final InetAddress CLIENT = Addresses.parse("10.1.0.1");
    private static final Endpoint A = Endpoint.of("10.0.0.1", 80);
    private static final Endpoint B = Endpoint.of("10.0.0.2", 80);
    private static final Endpoint C = Endpoint.of("10.0.0.3", 80);
    private static final Endpoint DEAD = Endpoint.of("10.0.0.4", 80);

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final SplittableRandom random = new SplittableRandom(42);
    private final ServiceBalancer balancer = new ServiceBalancer(WEB, now::get, () -> random, Ejection.DEFAULT);

    private EndpointTable table(LbPolicy policy, Duration affinity, Endpoint... endpoints) {
        return balancer.tables(List.of(
                new ServiceRoute(WEB, FrontendKind.CLUSTER_IP, List.of(endpoints), policy, affinity))).get(0);
    }

    private static Map<Endpoint, Integer> picks(EndpointTable t, int n) {
        Map<Endpoint, Integer> counts = new HashMap<>();
        for (int i = 0; i < n; i++) {
            counts.merge(t.pick(CLIENT, null).endpoint(), 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void roundRobinRotatesExactlyAndKeepsItsCursorAcrossSwaps() {
        EndpointTable t = table(LbPolicy.ROUND_ROBIN, Duration.ZERO, A, B, C);
        assertEquals(Map.of(A, 100, B, 100, C, 100), picks(t, 300));
        Endpoint first = t.pick(CLIENT, null).endpoint();
        EndpointTable swapped = table(LbPolicy.ROUND_ROBIN, Duration.ZERO, A, B, C);
        assertNotSame(t, swapped);
        Endpoint next = swapped.pick(CLIENT, null).endpoint();
        assertEquals(List.of(A, B, C).get((List.of(A, B, C).indexOf(first) + 1) % 3), next,
                "the cursor survives the swap");
    }

    @Test
    void countsSurviveSwapsAndRemovedEndpointsAreRetired() {
        EndpointTable t = table(LbPolicy.LEAST_CONNECTIONS, Duration.ZERO, A, B);
        EndpointState a = t.state(0);
        a.connectionOpened();
        EndpointTable t2 = table(LbPolicy.LEAST_CONNECTIONS, Duration.ZERO, A, C);
        assertSame(a, t2.state(0), "A keeps its state across the swap");
        assertEquals(1, t2.state(0).active());
        assertTrue(t.state(1).retired(), "B left every route");
        assertFalse(a.retired());
    }

    @Test
    void anEndpointIsRetiredOnlyWhenNoRouteOfThePortUsesItAnyMore() {
        ServiceRoute cluster = new ServiceRoute(WEB, FrontendKind.CLUSTER_IP, List.of(A, B), LbPolicy.ROUND_ROBIN,
                Duration.ZERO);
        ServiceRoute nodePort = new ServiceRoute(WEB, FrontendKind.NODE_PORT, List.of(C), LbPolicy.ROUND_ROBIN,
                Duration.ZERO);
        List<EndpointTable> first = balancer.tables(List.of(cluster, nodePort));
        EndpointState a = first.get(0).state(0);
        EndpointState b = first.get(0).state(1);
        EndpointState c = first.get(1).state(0);

        List<EndpointTable> second = balancer.tables(List.of(
                new ServiceRoute(WEB, FrontendKind.CLUSTER_IP, List.of(A), LbPolicy.ROUND_ROBIN, Duration.ZERO),
                new ServiceRoute(WEB, FrontendKind.NODE_PORT, List.of(B, A), LbPolicy.ROUND_ROBIN, Duration.ZERO)));
        assertSame(a, second.get(0).state(0));
        assertSame(b, second.get(1).state(0), "B moved to the other route and keeps its state");
        assertSame(a, second.get(1).state(1));
        assertFalse(a.retired());
        assertFalse(b.retired());
        assertTrue(c.retired(), "C left every route");

        balancer.tables(List.of(cluster));
        assertFalse(a.retired());
        assertFalse(b.retired());
        balancer.tables(List.of(new ServiceRoute(WEB, FrontendKind.CLUSTER_IP, List.of(), LbPolicy.ROUND_ROBIN,
                Duration.ZERO)));
        assertTrue(a.retired());
        assertTrue(b.retired());
    }

    /**
     * kube-proxy TestExternalTrafficPolicyLocal: this node's own clients of an eTP Local frontend use the
     * cluster endpoints, others the local ones; an endpoint only the short-circuit uses keeps its state.
     */
    @Test
    void aShortCircuitTableServesThisNodesOwnClientsFromTheClusterEndpoints() {
        InetAddress vip = Addresses.parse("198.51.100.1");
        ServiceRoute lb = new ServiceRoute(WEB, FrontendKind.LOAD_BALANCER, List.of(A), LbPolicy.ROUND_ROBIN,
                Duration.ZERO, CidrSet.EMPTY, ProxyProtocol.NONE,
                new ShortCircuit(CidrSet.of(List.of(Cidr.parse("10.244.3.0/24"), Cidr.parse("172.16.0.5"))),
                        List.of(A, B)));
        EndpointTable table = balancer.tables(List.of(lb)).get(0);

        assertSame(table, table.forClient(Addresses.parse("192.168.50.2"), vip), "a client outside the node");
        assertEquals(Map.of(A, 10), picks(table, 10));
        for (String own : List.of("10.244.3.2", "172.16.0.5", "198.51.100.1")) {
            EndpointTable cluster = table.forClient(Addresses.parse(own), vip);
            assertEquals(Map.of(A, 5, B, 5), picks(cluster, 10), own);
            assertSame(table.state(0), cluster.state(0), "one state per endpoint, whichever table");
            assertSame(cluster, cluster.forClient(Addresses.parse(own), vip));
        }

        EndpointState b = table.forClient(vip, vip).state(1);
        balancer.tables(List.of(lb));
        assertFalse(b.retired(), "B is still used by the short-circuit");
        EndpointTable plain = table(LbPolicy.ROUND_ROBIN, Duration.ZERO, A);
        assertTrue(b.retired());
        assertSame(plain, plain.forClient(vip, vip), "no short-circuit, every client gets the table");
    }

    @Test
    void leastConnectionsPicksTheMinimumAndSkipsExcluded() {
        EndpointTable t = table(LbPolicy.LEAST_CONNECTIONS, Duration.ZERO, A, B, C);
        t.state(0).connectionOpened();
        t.state(0).connectionOpened();
        t.state(2).connectionOpened();
        assertEquals(B, t.pick(CLIENT, null).endpoint());
        assertEquals(C, t.pick(CLIENT, new EndpointState[] {t.state(1)}).endpoint());
        assertNull(t.pick(CLIENT, new EndpointState[] {t.state(0), t.state(1), t.state(2)}));
    }

    @Test
    void ejectsAfterConsecutiveFailuresWithBackoffAndFallsBackWhenAllAreEjected() {
        EndpointTable t = table(LbPolicy.ROUND_ROBIN, Duration.ZERO, A, B);
        EndpointState a = t.state(0);
        a.failed(now.get());
        assertFalse(a.ejected(now.get()), "one failure is not enough");
        a.failed(now.get());
        assertTrue(a.ejected(now.get()));
        assertEquals(Map.of(B, 10), picks(t, 10), "an ejected endpoint is skipped");

        now.addAndGet(Duration.ofSeconds(1).toNanos());
        assertFalse(a.ejected(now.get()), "base ejection is 1 s");
        a.failed(now.get());
        a.failed(now.get());
        now.addAndGet(Duration.ofMillis(1500).toNanos());
        assertTrue(a.ejected(now.get()), "the second ejection lasts 2 s");

        t.state(1).failed(now.get());
        t.state(1).failed(now.get());
        assertEquals(2, picks(t, 10).size(), "with everything ejected, picks fall back to all endpoints");

        a.succeeded();
        assertFalse(a.ejected(now.get()), "a success clears the ejection");
    }

    @Test
    void clientIpAffinityPinsUntilTheTimeoutAndRefreshesOnUse() {
        Duration timeout = Duration.ofSeconds(10);
        EndpointTable t = table(LbPolicy.ROUND_ROBIN, timeout, A, B, C);
        Endpoint pinned = t.pick(CLIENT, null).endpoint();
        for (int i = 0; i < 20; i++) {
            now.addAndGet(Duration.ofSeconds(9).toNanos());
            assertEquals(pinned, t.pick(CLIENT, null).endpoint(), "use " + i + " within the timeout");
        }
        now.addAndGet(timeout.toNanos());
        Endpoint after = t.pick(CLIENT, null).endpoint();
        assertEquals(after, t.pick(CLIENT, null).endpoint(), "a new pin after expiry sticks");

        now.addAndGet(timeout.toNanos());
        balancer.expireAffinity(timeout.toNanos());
        assertEquals(0, balancer.affinityEntries(), "idle entries are swept");
    }

    @Test
    void affinityMovesWhenThePinnedEndpointIsRemovedOrFails() {
        Duration timeout = Duration.ofHours(3);
        EndpointTable t = table(LbPolicy.ROUND_ROBIN, timeout, A, B);
        EndpointState pinned = t.pick(CLIENT, null);
        Endpoint remaining = pinned.endpoint().equals(A) ? B : A;

        EndpointState moved = t.pick(CLIENT, new EndpointState[] {pinned});
        assertEquals(remaining, moved.endpoint(), "a failed pinned endpoint is skipped");
        assertEquals(remaining, t.pick(CLIENT, null).endpoint(), "and the entry moves with the connection");

        EndpointTable t2 = table(LbPolicy.ROUND_ROBIN, timeout, pinned.endpoint());
        assertEquals(pinned.endpoint(), t2.pick(CLIENT, null).endpoint(), "entries for removed endpoints are dropped");
    }

    /**
     * kube-proxy's userspace roundrobin_test.go TestStickyLoadBalanceWorksWithEndpointFails: after a failure
     * the retry takes the next endpoint in the rotation. Here over 30 s of connections to three live
     * endpoints and a dead one that is ejected, let back in when its ejection runs out, refused and ejected
     * again: a refused connect's retry takes the next turn and an ejected endpoint's turns are used up, so
     * the live endpoints serve equal shares throughout.
     */
    @Test
    void retriesAndEjectionsOfADeadEndpointLeaveTheLiveOnesEvenShares() {
        EndpointTable t = table(LbPolicy.ROUND_ROBIN, Duration.ZERO, A, DEAD, B, C);
        EndpointState dead = t.state(1);
        Map<Endpoint, Integer> served = new HashMap<>();
        int refused = 0;
        for (int c = 0; c < 3000; c++) {
            now.addAndGet(Duration.ofMillis(10).toNanos());
            EndpointState s = t.pick(CLIENT, null);
            if (s == dead) {
                refused++;
                dead.failed(now.get());
                s = t.pick(CLIENT, new EndpointState[] {dead});
            }
            served.merge(s.endpoint(), 1, Integer::sum);
        }
        // Ejections of 1, 2, 4 and 8 s end within the 30 s, each after two refusals.
        assertTrue(refused >= 8, "the dead endpoint came back after its ejections: refused " + refused);
        for (Endpoint e : List.of(A, B, C)) {
            int n = served.get(e);
            assertTrue(Math.abs(n - 1000) <= 1, e + " served " + n + " of 3000: " + served);
        }
    }

    /** kube-proxy's TestStickyLoadBalanceWorksWithEndpointFails, for an ejection rather than a failed connect. */
    @Test
    void affinityLeavesAPinnedEndpointOnceItIsEjected() {
        EndpointTable t = table(LbPolicy.ROUND_ROBIN, Duration.ofHours(3), A, B);
        EndpointState pinned = t.pick(CLIENT, null);
        for (int f = 0; f < Ejection.DEFAULT.consecutiveFailures(); f++) {
            pinned.failed(now.get());
        }
        assertTrue(pinned.ejected(now.get()));

        EndpointState moved = t.pick(CLIENT, null);
        assertNotSame(pinned, moved, "a client is not held on an ejected endpoint");
        pinned.succeeded();
        assertSame(moved, t.pick(CLIENT, null), "the entry moved with it and stays when the old endpoint recovers");
    }

    @Test
    void emptyTableRefuses() {
        assertNull(table(LbPolicy.ROUND_ROBIN, Duration.ZERO).pick(CLIENT, null));
    }
}
