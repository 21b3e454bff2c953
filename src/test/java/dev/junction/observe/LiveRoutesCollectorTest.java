package dev.junction.observe;

import static dev.junction.testing.Http.sample;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The per-service-port and per-endpoint series as a scrape renders them from the live table. */
class LiveRoutesCollectorTest {

    private static final String ACCEPTED = "junction_service_connections_accepted_total";
    private static final ServicePortName A = port("a");
    private static final ServicePortName B = port("b");
    private static final ServicePortName C = port("c");
    private static final Endpoint E1 = Endpoint.of("10.0.0.1", 8080);

    private final Table table = new Table();
    private ProxyMetrics metrics;

    @AfterEach
    void tearDown() {
        metrics.close();
    }

    @Test
    void servicePortsBeyondTheCapAreSummedUnderOther() {
        start(2, false);
        table.ports = List.of(stats(A, 1, 0), stats(B, 2, 0), stats(C, 4, 3));
        String text = scrape();
        assertEquals(1.0, sample(text, ACCEPTED, "service", "a", "namespace", "ns", "port", "http", "protocol", "TCP"));
        assertEquals(2.0, sample(text, ACCEPTED, "service", "b"));
        assertNull(sample(text, ACCEPTED, "service", "c"));
        assertEquals(4.0, sample(text, ACCEPTED, "service", "other", "namespace", "*", "port", "*", "protocol", "*"));
        assertEquals(3.0, sample(text, "junction_service_connections_active", "service", "other"));
        assertEquals(8.0, sample(text, "junction_service_bytes_total", "service", "other", "direction", "to_endpoint"));
        assertEquals(16.0, sample(text, "junction_service_bytes_total", "service", "other", "direction", "to_client"));
    }

    @Test
    void otherKeepsTheCountsOfAPortThatWentAway() {
        start(1, false);
        table.ports = List.of(stats(A, 1, 0), stats(B, 2, 1), stats(C, 4, 1));
        assertEquals(6.0, sample(scrape(), ACCEPTED, "service", "other"));
        table.ports = List.of(stats(A, 1, 0), stats(C, 5, 0));
        String text = scrape();
        assertEquals(7.0, sample(text, ACCEPTED, "service", "other"), "b's 2 stay, c counts on");
        assertEquals(0.0, sample(text, "junction_service_connections_active", "service", "other"),
                "connections open now are not kept");
    }

    @Test
    void aPortSummedUnderOtherStaysThereWhenAPlaceFrees() {
        start(1, false);
        table.ports = List.of(stats(A, 1, 0), stats(B, 2, 0));
        scrape();
        table.ports = List.of(stats(B, 3, 0), stats(C, 4, 0));
        String text = scrape();
        assertNull(sample(text, ACCEPTED, "service", "a"));
        assertNull(sample(text, ACCEPTED, "service", "b"), "b would take its counts out of other");
        assertEquals(4.0, sample(text, ACCEPTED, "service", "c"));
        assertEquals(3.0, sample(text, ACCEPTED, "service", "other"));
    }

    @Test
    void endpointSeriesCoverOnlyPortsWithSeriesOfTheirOwnOncePerEndpoint() {
        start(1, true);
        table.ports = List.of(stats(A, 1, 0), stats(B, 2, 0));
        LiveRoutes.EndpointStatus e1 = new LiveRoutes.EndpointStatus(E1, 2, 9, true);
        table.frontends = List.of(frontend(A, 80, FrontendKind.CLUSTER_IP, e1),
                frontend(A, 30080, FrontendKind.NODE_PORT, e1), frontend(B, 81, FrontendKind.CLUSTER_IP, e1));
        String text = scrape();
        String[] labels = {"service", "a", "endpoint", "10.0.0.1:8080"};
        assertEquals(9.0, sample(text, "junction_endpoint_connections_total", labels));
        assertEquals(2.0, sample(text, "junction_endpoint_connections_active", labels));
        assertEquals(1.0, sample(text, "junction_endpoint_ejected", labels));
        assertNull(sample(text, "junction_endpoint_connections_total", "service", "b"));
        assertEquals(1, text.lines().filter(l -> l.startsWith("junction_endpoint_connections_total{")).count());

        table.frontends = List.of();
        assertNull(sample(scrape(), "junction_endpoint_connections_total", labels), "gone with its frontends");
    }

    @Test
    void ipv6EndpointsAreWrittenCompactlyInLabelsAndDebugRoutes() {
        start(1, true);
        table.ports = List.of(stats(A, 1, 0));
        Endpoint v6 = Endpoint.of("fd00:0:0:0:0:0:0:1", 8080);
        table.frontends = List.of(frontend(A, 80, FrontendKind.CLUSTER_IP, new LiveRoutes.EndpointStatus(v6, 0, 1, false)));
        assertEquals(1.0, sample(scrape(), "junction_endpoint_connections_total", "endpoint", "[fd00::1]:8080"));
        String routes = AdminServer.routesJson(table);
        assertTrue(routes.contains("\"address\":\"[fd00::1]:8080\""), routes);
    }

    @Test
    void debugRoutesShowTheEndpointsThisNodesOwnClientsGetUnderExternalTrafficPolicyLocal() {
        start(1, false);
        Endpoint local = Endpoint.of("10.1.0.1", 8080);
        ServiceRoute route = new ServiceRoute(A, FrontendKind.LOAD_BALANCER, List.of(local), LbPolicy.ROUND_ROBIN,
                Duration.ZERO, CidrSet.EMPTY, ProxyProtocol.NONE, new ShortCircuit(
                        CidrSet.of(List.of(Cidr.parse("10.244.3.0/24"))), List.of(local, Endpoint.of("10.1.0.2", 8080))));
        table.frontends = List.of(
                new LiveRoutes.FrontendStatus(new Frontend(Addresses.parse("198.51.100.1"), 80, Protocol.TCP), route, true,
                        List.of(new LiveRoutes.EndpointStatus(local, 0, 0, false))),
                frontend(A, 80, FrontendKind.CLUSTER_IP, new LiveRoutes.EndpointStatus(local, 0, 0, false)));

        String routes = AdminServer.routesJson(table);

        assertTrue(routes.contains("\"shortCircuit\":{\"sources\":[\"10.244.3.0/24\"],"
                + "\"endpoints\":[\"10.1.0.1:8080\",\"10.1.0.2:8080\"]}"), routes);
        assertEquals(1, routes.split("shortCircuit", -1).length - 1, "only the route that has one: " + routes);
    }

    @Test
    void otherIsThereWithZeroesBeforeAnyServicePort() {
        start(0, false);
        String text = scrape();
        assertEquals(0.0, sample(text, ACCEPTED, "service", "other"));
        assertEquals(0.0, sample(text, "junction_service_connections_active", "service", "other"));
    }

    private void start(int maxServicePorts, boolean perEndpoint) {
        metrics = new ProxyMetrics(maxServicePorts, perEndpoint);
        metrics.routes(table);
    }

    private String scrape() {
        return metrics.scrape(ProxyMetrics.TEXT);
    }

    private static ServicePortName port(String service) {
        return new ServicePortName("ns", service, "http", Protocol.TCP);
    }

    private static LiveRoutes.ServicePortStats stats(ServicePortName port, long accepted, long active) {
        return new LiveRoutes.ServicePortStats(port, accepted, active, 0, 0, 2 * accepted, 4 * accepted, 0);
    }

    private static LiveRoutes.FrontendStatus frontend(ServicePortName port, int frontendPort, FrontendKind kind,
            LiveRoutes.EndpointStatus endpoint) {
        ServiceRoute route = new ServiceRoute(port, kind, List.of(endpoint.endpoint()), LbPolicy.ROUND_ROBIN, Duration.ZERO);
        Frontend frontend = new Frontend(Addresses.parse("10.96.0.1"), frontendPort, Protocol.TCP);
        return new LiveRoutes.FrontendStatus(frontend, route, true, List.of(endpoint));
    }

    /** A live table the test sets between scrapes. */
    private static final class Table implements LiveRoutes {
        volatile List<ServicePortStats> ports = new ArrayList<>();
        volatile List<FrontendStatus> frontends = new ArrayList<>();

        @Override
        public List<FrontendStatus> frontends() {
            return frontends;
        }

        @Override
        public List<ServicePortStats> servicePorts() {
            return ports;
        }
    }
}
