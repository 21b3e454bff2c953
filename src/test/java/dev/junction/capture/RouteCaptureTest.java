package dev.junction.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.model.Addresses;
import dev.junction.model.Frontend;
import dev.junction.model.Protocol;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Route capture against a real kernel routing table, in a network namespace of its own. */
class RouteCaptureTest {

    private Netns ns;
    private IpRoutes routes;

    @BeforeEach
    void namespace() {
        Netns.requireNetns();
        ns = Netns.create("routes");
        routes = new IpRoutes(ns.ip());
    }

    @AfterEach
    void deleteNamespace() {
        if (ns != null) {
            ns.close();
        }
    }

    /** The test JVM is outside the namespace, so the namespace's addresses come from ip. */
    private RouteCapture capture(boolean keepRoutes) {
        return new RouteCapture(routes, keepRoutes, () -> {
            Set<InetAddress> out = new HashSet<>();
            for (String word : ns.exec("ip", "-o", "addr", "show").split("\\s+")) {
                int slash = word.indexOf('/');
                if (slash > 0 && Addresses.isIp(word.substring(0, slash))) {
                    out.add(Addresses.parse(word.substring(0, slash)));
                }
            }
            return out;
        });
    }

    private static Frontend tcp(String ip, int port) {
        return new Frontend(Addresses.parse(ip), port, Protocol.TCP);
    }

    private static Set<InetAddress> addresses(String... ips) {
        Set<InetAddress> out = new HashSet<>();
        for (String ip : ips) {
            out.add(Addresses.parse(ip));
        }
        return out;
    }

    @Test
    void claimedAddressesGetOneLocalRouteEachOnFlushInBothFamilies() {
        RouteCapture capture = capture(false);
        assertTrue(capture.claim(tcp("10.96.0.10", 80)));
        assertTrue(capture.claim(tcp("10.96.0.10", 443)));
        assertTrue(capture.claim(tcp("fd00:96::10", 80)));
        assertEquals(Set.of(), routes.list(), "nothing before the flush");

        capture.flush();

        assertEquals(addresses("10.96.0.10", "fd00:96::10"), routes.list());
        String table = ns.junctionRoutes();
        assertTrue(table.contains("local 10.96.0.10 dev lo"), table);
        assertTrue(table.contains("local fd00:96::10 dev lo"), table);
    }

    @Test
    void anAddressLeavesOnlyWhenItsLastFrontendIsReleased() {
        RouteCapture capture = capture(false);
        capture.claim(tcp("10.96.0.10", 80));
        capture.claim(tcp("10.96.0.10", 443));
        capture.flush();

        capture.release(tcp("10.96.0.10", 80));
        capture.flush();
        assertEquals(addresses("10.96.0.10"), routes.list());

        capture.release(tcp("10.96.0.10", 443));
        capture.flush();
        assertEquals(Set.of(), routes.list());
    }

    @Test
    void localAddressesAndLoopbackGetNoRoute() {
        ns.exec("ip", "addr", "add", "192.168.77.1/24", "dev", "lo");
        RouteCapture capture = capture(false);
        assertTrue(capture.claim(tcp("192.168.77.1", 30080)));
        assertTrue(capture.claim(tcp("127.0.0.1", 30080)));
        capture.flush();
        assertEquals(Set.of(), routes.list());
    }

    @Test
    void firstFlushRemovesRoutesAnEarlierRunLeftThatNoServiceNeeds() {
        RouteCapture earlier = capture(true);
        earlier.claim(tcp("10.96.0.10", 80));
        earlier.claim(tcp("10.96.0.11", 80));
        earlier.flush();
        earlier.close();
        assertEquals(addresses("10.96.0.10", "10.96.0.11"), routes.list(), "--keep-routes kept them");

        RouteCapture restarted = capture(false);
        restarted.claim(tcp("10.96.0.11", 80));
        restarted.flush();

        assertEquals(addresses("10.96.0.11"), routes.list());
    }

    @Test
    void closeRemovesEveryRouteAndLeavesTheTableAsItWas() {
        String before = ns.localTable();
        RouteCapture capture = capture(false);
        capture.claim(tcp("10.96.0.10", 80));
        capture.claim(tcp("fd00:96::10", 80));
        capture.flush();

        capture.close();

        assertEquals(before, ns.localTable());
    }

    @Test
    void cleanupRemovesOnlyJunctionRoutes() {
        ns.exec("ip", "route", "add", "local", "10.200.0.1/32", "dev", "lo", "table", "local");
        String before = ns.localTable();
        RouteCapture kept = capture(true);
        kept.claim(tcp("10.96.0.10", 80));
        kept.claim(tcp("fd00:96::10", 80));
        kept.flush();
        kept.close();

        assertEquals(2, RouteCapture.cleanup(routes));

        assertEquals(before, ns.localTable());
        assertTrue(before.contains("10.200.0.1"), "someone else's local route stays: " + before);
    }

    /**
     * Alone this takes about 0.27 s to add and 0.16 s to remove. The bound is looser because the kernel
     * tears deleted namespaces down asynchronously under the same routing lock, so right after other
     * namespace tests the same batch can take several times longer.
     */
    @Test
    void tenThousandRoutesProgramInOneBatchQuickly() {
        RouteCapture capture = capture(false);
        List<Frontend> frontends = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            frontends.add(tcp("10." + (96 + i / 65536) + '.' + (i / 256 % 256) + '.' + (i % 256), 80));
        }
        long start = System.nanoTime();
        frontends.forEach(capture::claim);
        capture.flush();
        long addMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(10_000, routes.list().size());

        start = System.nanoTime();
        frontends.forEach(capture::release);
        capture.flush();
        long removeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(0, routes.list().size());

        System.out.printf("route capture: 10000 routes added in %d ms, removed in %d ms%n", addMillis, removeMillis);
        assertTrue(addMillis < 5_000, "adding 10000 routes took " + addMillis + " ms");
        assertTrue(removeMillis < 5_000, "removing 10000 routes took " + removeMillis + " ms");
    }
}
