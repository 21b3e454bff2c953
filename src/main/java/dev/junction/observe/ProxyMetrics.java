package dev.junction.observe;

import dev.junction.model.Endpoint;
import dev.junction.model.ServicePortName;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.util.internal.PlatformDependent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleFunction;

/**
 * Junction's Prometheus registry. Meters recorded as they happen (the control plane's sync metrics, JVM,
 * Netty memory, UDP counters) live here; per-service-port and per-endpoint series are read from
 * {@link LiveRoutes} at scrape time, so the data plane only ever increments plain counters it already holds
 * and registering a series never happens in the control context or on an event loop. At most
 * {@code maxServicePorts} service ports get series of their own; the rest are summed under
 * {@code namespace="*", service="other"}. Scrapes are serialised; the registry is thread-safe.
 */
public final class ProxyMetrics implements AutoCloseable {

    /** Prometheus text exposition (the default) and OpenMetrics, chosen by the Accept header. */
    public static final String TEXT = "text/plain; version=0.0.4; charset=utf-8";
    public static final String OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    static final String OTHER = "other";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final int maxServicePorts;
    private final boolean perEndpoint;
    private final List<AutoCloseable> binders = new ArrayList<>();
    private final List<Object> held = new ArrayList<>();
    private LiveRoutes routes = LiveRoutes.NONE;

    private final Map<ServicePortName, Row> rows = new HashMap<>();
    private final Row other = new Row(Tags.of("namespace", "*", "service", OTHER, "port", "*", "protocol", "*"));
    private Map<ServicePortName, LiveRoutes.ServicePortStats> inOther = Map.of();
    private final long[] otherRetired = new long[Row.COUNTERS];
    private final Map<String, EndpointRow> endpointRows = new HashMap<>();

    public ProxyMetrics(int maxServicePorts, boolean perEndpoint) {
        if (maxServicePorts < 0) {
            throw new IllegalArgumentException("maxServicePorts must not be negative, got " + maxServicePorts);
        }
        this.maxServicePorts = maxServicePorts;
        this.perEndpoint = perEndpoint;
        other.register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Where per-service-port and per-endpoint series come from; set once at start. */
    public void routes(LiveRoutes routes) {
        this.routes = routes;
    }

    /** JVM memory, GC, threads, classes, CPU, uptime and open files. */
    public void bindJvm() {
        new JvmMemoryMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        binders.add(gc);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
    }

    /** Netty's direct memory: the process-wide counter, its limit, and what {@code allocator}'s pool holds. */
    public void bindNetty(String allocatorName, ByteBufAllocatorMetricProvider allocator) {
        Gauge.builder("netty.direct.memory.used", PlatformDependent::usedDirectMemory).baseUnit("bytes")
                .description("Direct memory Netty has reserved (-1 when not tracked)").register(registry);
        Gauge.builder("netty.direct.memory.max", PlatformDependent::maxDirectMemory).baseUnit("bytes")
                .description("Direct memory limit Netty sees").register(registry);
        Gauge.builder("netty.allocator.direct.memory.used", allocator, a -> a.metric().usedDirectMemory())
                .strongReference(true).baseUnit("bytes").tag("allocator", allocatorName)
                .description("Direct memory held by the allocator's pool (used or cached)").register(registry);
        Gauge.builder("netty.allocator.heap.memory.used", allocator, a -> a.metric().usedHeapMemory())
                .strongReference(true).baseUnit("bytes").tag("allocator", allocatorName)
                .description("Heap memory held by the allocator's pool").register(registry);
    }

    /** The UDP data plane's counters. */
    public void bindUdp(LongSupplier activeSessions, LongSupplier evictedSessions, LongSupplier expiredSessions,
            LongSupplier droppedDatagrams) {
        Gauge.builder("junction.udp.sessions.active", activeSessions, s -> s.getAsLong())
                .strongReference(true).description("UDP sessions open now, on every frontend").register(registry);
        counter("junction.udp.sessions.evicted", evictedSessions, "UDP sessions evicted at the per-frontend cap");
        counter("junction.udp.sessions.expired", expiredSessions, "UDP sessions closed after the idle timeout");
        counter("junction.udp.datagrams.dropped", droppedDatagrams,
                "UDP datagrams dropped: no usable endpoint, or a full queue towards a slow socket");
    }

    /** kube-proxy's last-sync gauge, from the health state's last applied batch. */
    public void bindHealth(ProxyHealth health) {
        Gauge.builder("kubeproxy.sync.proxy.rules.last.timestamp.seconds", health, ProxyHealth::lastUpdatedSeconds)
                .strongReference(true)
                .description("The last time a batch of changes was applied (seconds since the epoch)")
                .register(registry);
    }

    private void counter(String name, LongSupplier value, String description) {
        // Function counters hold their object weakly; these suppliers have no other owner.
        held.add(value);
        FunctionCounter.builder(name, value, v -> v.getAsLong()).description(description).register(registry);
    }

    /** The exposition for a request with this Accept header: OpenMetrics when asked for, else text 0.0.4. */
    public static String contentType(String accept) {
        return accept != null && accept.contains("application/openmetrics-text") ? OPENMETRICS : TEXT;
    }

    /** Refreshes the per-service and per-endpoint series from the live table, then renders everything. */
    public synchronized String scrape(String contentType) {
        refresh();
        return registry.scrape(contentType);
    }

    private void refresh() {
        List<LiveRoutes.ServicePortStats> ports = routes.servicePorts();
        Set<ServicePortName> live = new HashSet<>();
        Map<ServicePortName, LiveRoutes.ServicePortStats> nowOther = new LinkedHashMap<>();
        for (LiveRoutes.ServicePortStats s : ports) {
            live.add(s.port());
        }
        rows.entrySet().removeIf(e -> {
            if (live.contains(e.getKey())) {
                return false;
            }
            e.getValue().remove(registry);
            return true;
        });
        long[] otherNow = new long[Row.COUNTERS];
        long otherActive = 0;
        for (LiveRoutes.ServicePortStats s : ports) {
            Row row = rows.get(s.port());
            if (row == null && rows.size() < maxServicePorts && !inOther.containsKey(s.port())) {
                row = new Row(tags(s.port()));
                row.register(registry);
                rows.put(s.port(), row);
            }
            if (row != null) {
                row.set(s);
            } else {
                nowOther.put(s.port(), s);
                Row.add(otherNow, s);
                otherActive += s.active();
            }
        }
        // Ports that left "other" take their counts with them; keep those so its counters never go back.
        for (Map.Entry<ServicePortName, LiveRoutes.ServicePortStats> e : inOther.entrySet()) {
            if (!nowOther.containsKey(e.getKey())) {
                Row.add(otherRetired, e.getValue());
            }
        }
        inOther = nowOther;
        for (int i = 0; i < Row.COUNTERS; i++) {
            otherNow[i] += otherRetired[i];
        }
        other.set(otherNow, otherActive);
        if (perEndpoint) {
            refreshEndpoints();
        }
    }

    private void refreshEndpoints() {
        Set<String> seen = new HashSet<>();
        for (LiveRoutes.FrontendStatus f : routes.frontends()) {
            ServicePortName port = f.route().service();
            if (!rows.containsKey(port)) {
                continue;
            }
            for (LiveRoutes.EndpointStatus e : f.endpoints()) {
                String key = port + " " + e.endpoint();
                if (!seen.add(key)) {
                    continue;
                }
                EndpointRow row = endpointRows.computeIfAbsent(key, k -> new EndpointRow(port, e.endpoint(), registry));
                row.last = e;
            }
        }
        endpointRows.entrySet().removeIf(e -> {
            if (seen.contains(e.getKey())) {
                return false;
            }
            e.getValue().meters.forEach(registry::remove);
            return true;
        });
    }

    private static Tags tags(ServicePortName port) {
        return Tags.of("namespace", port.namespace(), "service", port.name(), "port", port.port(),
                "protocol", port.protocol().name());
    }

    @Override
    public void close() {
        for (AutoCloseable c : binders) {
            try {
                c.close();
            } catch (Exception ignored) {
                // Closing a binder only stops its notifications.
            }
        }
        registry.close();
    }

    /** The series of one service port (or of "other"), reading the values of the last refresh. */
    private static final class Row {
        static final int COUNTERS = 6;
        private static final String[] NAMES = {
            "junction.service.connections.accepted", "junction.service.connections.failed",
            "junction.service.connect.retries", "junction.service.bytes", "junction.service.bytes",
            "junction.service.endpoint.ejections",
        };
        private static final String[] DESCRIPTIONS = {
            "Connections accepted (UDP: sessions created)",
            "Connections refused or closed without reaching an endpoint",
            "Connect attempts beyond the first, each to another endpoint",
            "Payload bytes relayed", "Payload bytes relayed",
            "Times an endpoint was ejected after consecutive failures",
        };

        final Tags tags;
        final long[] values = new long[COUNTERS];
        volatile long active;
        final List<Meter> meters = new ArrayList<>(COUNTERS + 1);

        Row(Tags tags) {
            this.tags = tags;
        }

        void register(MeterRegistry registry) {
            for (int i = 0; i < COUNTERS; i++) {
                int index = i;
                FunctionCounter.Builder<long[]> b = FunctionCounter.builder(NAMES[i], values, v -> v[index])
                        .description(DESCRIPTIONS[i]).tags(tags);
                if (i == 3 || i == 4) {
                    b.baseUnit("bytes").tag("direction", i == 3 ? "to_endpoint" : "to_client");
                }
                meters.add(b.register(registry));
            }
            meters.add(Gauge.builder("junction.service.connections.active", this, r -> r.active).tags(tags)
                    .description("Connections open now (UDP: sessions)").register(registry));
        }

        void remove(MeterRegistry registry) {
            meters.forEach(registry::remove);
        }

        void set(LiveRoutes.ServicePortStats s) {
            long[] now = new long[COUNTERS];
            add(now, s);
            set(now, s.active());
        }

        void set(long[] now, long activeNow) {
            System.arraycopy(now, 0, values, 0, COUNTERS);
            active = activeNow;
        }

        static void add(long[] into, LiveRoutes.ServicePortStats s) {
            into[0] += s.accepted();
            into[1] += s.failed();
            into[2] += s.retried();
            into[3] += s.bytesToEndpoints();
            into[4] += s.bytesToClients();
            into[5] += s.ejections();
        }
    }

    /** Per-endpoint series, behind a flag: one set per endpoint of a service port with its own series. */
    private static final class EndpointRow {
        final List<Meter> meters = new ArrayList<>(3);
        volatile LiveRoutes.EndpointStatus last;

        EndpointRow(ServicePortName port, Endpoint endpoint, MeterRegistry registry) {
            Tags tags = tags(port).and("endpoint", endpoint.toString());
            meters.add(FunctionCounter.builder("junction.endpoint.connections", this, count(r -> r.last.connections()))
                    .description("Connections opened to the endpoint (UDP: sessions)").tags(tags).register(registry));
            meters.add(Gauge.builder("junction.endpoint.connections.active", this, count(r -> r.last.activeConnections()))
                    .description("Connections open to the endpoint now").tags(tags).register(registry));
            meters.add(Gauge.builder("junction.endpoint.ejected", this, count(r -> r.last.ejected() ? 1 : 0))
                    .description("1 while passive health has ejected the endpoint").tags(tags).register(registry));
        }

        private static ToDoubleFunction<EndpointRow> count(ToDoubleFunction<EndpointRow> f) {
            return r -> r.last == null ? 0 : f.applyAsDouble(r);
        }
    }
}
