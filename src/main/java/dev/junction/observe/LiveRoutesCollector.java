package dev.junction.observe;

import dev.junction.model.ServicePortName;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The per-service-port and per-endpoint series, built from {@link LiveRoutes} when Prometheus scrapes, so
 * nothing is registered or removed as services come and go. At most {@code maxServicePorts} service ports get
 * series of their own, first come first served; the rest are summed under {@code namespace="*",
 * service="other"}, whose counters never go back (a port that leaves it leaves its counts behind). Endpoint
 * series, when asked for, cover only ports with series of their own. Runs on the scraping thread; collections
 * are serialised.
 */
final class LiveRoutesCollector implements MultiCollector {

    private static final String OTHER = "other";
    private static final Labels OTHER_LABELS = Labels.of("namespace", "*", "service", OTHER, "port", "*", "protocol", "*");
    private static final String BYTES_HELP = "Payload bytes relayed";

    private final int maxServicePorts;
    private final boolean perEndpoint;
    private volatile LiveRoutes routes = LiveRoutes.NONE;

    /** The ports with series of their own; a port keeps its place while it exists. */
    private final Set<ServicePortName> own = new HashSet<>();
    /** The ports summed under "other" by the last collection; they stay there while they exist. */
    private final Map<ServicePortName, LiveRoutes.ServicePortStats> otherLast = new LinkedHashMap<>();
    /** Counts of ports that were in "other" and went away; their active count is always 0. */
    private LiveRoutes.ServicePortStats otherRetired = zero();

    LiveRoutesCollector(int maxServicePorts, boolean perEndpoint) {
        if (maxServicePorts < 0) {
            throw new IllegalArgumentException("maxServicePorts must not be negative, got " + maxServicePorts);
        }
        this.maxServicePorts = maxServicePorts;
        this.perEndpoint = perEndpoint;
    }

    void routes(LiveRoutes routes) {
        this.routes = routes;
    }

    @Override
    public synchronized MetricSnapshots collect() {
        LiveRoutes live = routes;
        List<LiveRoutes.ServicePortStats> ports = live.servicePorts();
        Set<ServicePortName> present = new HashSet<>();
        for (LiveRoutes.ServicePortStats s : ports) {
            present.add(s.port());
        }
        own.retainAll(present);
        Families families = new Families();
        Map<ServicePortName, LiveRoutes.ServicePortStats> nowOther = new LinkedHashMap<>();
        for (LiveRoutes.ServicePortStats s : ports) {
            if (!own.contains(s.port()) && own.size() < maxServicePorts && !otherLast.containsKey(s.port())) {
                own.add(s.port());
            }
            if (own.contains(s.port())) {
                servicePort(families, labels(s.port()), s);
            } else {
                nowOther.put(s.port(), s);
            }
        }
        for (Map.Entry<ServicePortName, LiveRoutes.ServicePortStats> e : otherLast.entrySet()) {
            if (!nowOther.containsKey(e.getKey())) {
                otherRetired = plus(otherRetired, e.getValue(), false);
            }
        }
        otherLast.clear();
        otherLast.putAll(nowOther);
        LiveRoutes.ServicePortStats other = otherRetired;
        for (LiveRoutes.ServicePortStats s : nowOther.values()) {
            other = plus(other, s, true);
        }
        servicePort(families, OTHER_LABELS, other);
        if (perEndpoint) {
            endpoints(families, live);
        }
        return families.build();
    }

    private void endpoints(Families families, LiveRoutes live) {
        Set<Labels> seen = new HashSet<>();
        for (LiveRoutes.FrontendStatus f : live.frontends()) {
            ServicePortName port = f.route().service();
            if (!own.contains(port)) {
                continue;
            }
            for (LiveRoutes.EndpointStatus e : f.endpoints()) {
                // A service port's frontends (ClusterIP, NodePort, ...) share its endpoints: one series each.
                Labels labels = labels(port).add("endpoint", AddressText.endpoint(e.endpoint()));
                if (!seen.add(labels)) {
                    continue;
                }
                families.counter("junction_endpoint_connections", "Connections opened to the endpoint (UDP: sessions)",
                        labels, e.connections());
                families.gauge("junction_endpoint_connections_active", "Connections open to the endpoint now",
                        labels, e.activeConnections());
                families.gauge("junction_endpoint_ejected", "1 while passive health has ejected the endpoint",
                        labels, e.ejected() ? 1 : 0);
            }
        }
    }

    private static void servicePort(Families families, Labels labels, LiveRoutes.ServicePortStats s) {
        families.counter("junction_service_connections_accepted", "Connections accepted (UDP: sessions created)",
                labels, s.accepted());
        families.counter("junction_service_connections_failed",
                "Connections refused or closed without reaching an endpoint", labels, s.failed());
        families.counter("junction_service_connect_retries", "Connect attempts beyond the first, each to another endpoint",
                labels, s.retried());
        families.counter("junction_service_bytes", BYTES_HELP, labels.add("direction", "to_endpoint"),
                s.bytesToEndpoints());
        families.counter("junction_service_bytes", BYTES_HELP, labels.add("direction", "to_client"), s.bytesToClients());
        families.counter("junction_service_endpoint_ejections", "Times an endpoint was ejected after consecutive failures",
                labels, s.ejections());
        families.gauge("junction_service_connections_active", "Connections open now (UDP: sessions)", labels, s.active());
    }

    private static Labels labels(ServicePortName port) {
        return Labels.of("namespace", port.namespace(), "service", port.name(), "port", port.port(),
                "protocol", port.protocol().name());
    }

    private static LiveRoutes.ServicePortStats zero() {
        return new LiveRoutes.ServicePortStats(null, 0, 0, 0, 0, 0, 0, 0);
    }

    /** The sum of two ports' counts, for "other", which has no port of its own. */
    private static LiveRoutes.ServicePortStats plus(LiveRoutes.ServicePortStats a, LiveRoutes.ServicePortStats b,
            boolean withActive) {
        return new LiveRoutes.ServicePortStats(null, a.accepted() + b.accepted(),
                a.active() + (withActive ? b.active() : 0), a.failed() + b.failed(), a.retried() + b.retried(),
                a.bytesToEndpoints() + b.bytesToEndpoints(), a.bytesToClients() + b.bytesToClients(),
                a.ejections() + b.ejections());
    }

    /** The families of one collection, each gathering its data points by name. */
    private static final class Families {
        private final Map<String, CounterSnapshot.Builder> counters = new LinkedHashMap<>();
        private final Map<String, GaugeSnapshot.Builder> gauges = new LinkedHashMap<>();

        void counter(String name, String help, Labels labels, long value) {
            counters.computeIfAbsent(name, n -> CounterSnapshot.builder().name(n).help(help))
                    .dataPoint(CounterDataPointSnapshot.builder().labels(labels).value(value).build());
        }

        void gauge(String name, String help, Labels labels, long value) {
            gauges.computeIfAbsent(name, n -> GaugeSnapshot.builder().name(n).help(help))
                    .dataPoint(GaugeDataPointSnapshot.builder().labels(labels).value(value).build());
        }

        MetricSnapshots build() {
            List<MetricSnapshot> all = new ArrayList<>(counters.size() + gauges.size());
            counters.values().forEach(b -> all.add(b.build()));
            gauges.values().forEach(b -> all.add(b.build()));
            return new MetricSnapshots(all);
        }
    }
}
