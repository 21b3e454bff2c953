package dev.junction.observe;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.prometheus.metrics.instrumentation.jvm.ProcessMetrics;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.netty.util.internal.PlatformDependent;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * Junction's Prometheus registry. Meters recorded as they happen (the control plane's sync metrics, JVM,
 * Netty memory, UDP counters) live here; per-service-port and per-endpoint series are built from
 * {@link LiveRoutes} by a collector when Prometheus scrapes ({@link LiveRoutesCollector}), so the data plane
 * only ever increments plain counters it already holds and no series is registered in the control context
 * or on an event loop. Thread-safe.
 */
public final class ProxyMetrics implements AutoCloseable {

    /** Prometheus text exposition (the default) and OpenMetrics, chosen by the Accept header. */
    public static final String TEXT = "text/plain; version=0.0.4; charset=utf-8";
    public static final String OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final List<AutoCloseable> binders = new ArrayList<>();
    private final List<Object> held = new ArrayList<>();
    private final LiveRoutesCollector liveRoutes;

    public ProxyMetrics(int maxServicePorts, boolean perEndpoint) {
        liveRoutes = new LiveRoutesCollector(maxServicePorts, perEndpoint);
        registry.getPrometheusRegistry().register(liveRoutes);
        // Micrometer's process CPU time would repeat process_cpu_seconds_total (bindJvm) under another name.
        registry.config().meterFilter(MeterFilter.denyNameStartsWith("process.cpu.time"));
        buildInfo(BuildInfo.current());
    }

    /** kube-proxy's {@code kubernetes_build_info}: constant 1, the build in its labels (the JVM where Go's are). */
    private void buildInfo(BuildInfo build) {
        Gauge.builder("kubernetes.build.info", () -> 1)
                .description("A metric with a constant '1' value labeled by major, minor, git version, git commit, "
                        + "git tree state, build date, Go version (here the JVM's), and compiler (here the JVM) "
                        + "from which Junction was built, and platform on which it is running.")
                .tag("major", build.major()).tag("minor", build.minor()).tag("git_version", "v" + build.version())
                // The build records no commit; kube-proxy leaves both empty too when built without one.
                .tag("git_commit", "").tag("git_tree_state", "").tag("build_date", build.buildDate())
                .tag("go_version", BuildInfo.runtimeVersion()).tag("compiler", System.getProperty("java.vm.name"))
                .tag("platform", BuildInfo.platform())
                .register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Where per-service-port and per-endpoint series come from; set once at start. */
    public void routes(LiveRoutes routes) {
        liveRoutes.routes(routes);
    }

    /**
     * JVM memory, GC, threads, classes and CPU, and the Prometheus standard {@code process_*} series
     * (CPU seconds, resident and virtual memory, open and max file descriptors, start time) as kube-proxy
     * exposes them, in place of Micrometer's uptime and file descriptor meters.
     */
    public void bindJvm() {
        new JvmMemoryMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        binders.add(gc);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        ProcessMetrics.builder().register(registry.getPrometheusRegistry());
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
    public void bindUdp(LongSupplier activeSessions, LongSupplier refusedSessions, LongSupplier expiredSessions,
            LongSupplier droppedDatagrams) {
        Gauge.builder("junction.udp.sessions.active", activeSessions, s -> s.getAsLong())
                .strongReference(true).description("UDP sessions open now, on every frontend").register(registry);
        counter("junction.udp.sessions.refused", refusedSessions,
                "New UDP clients refused a session: the session cap was reached, or no socket could be opened");
        counter("junction.udp.sessions.expired", expiredSessions, "UDP sessions closed after the idle timeout");
        counter("junction.udp.datagrams.dropped", droppedDatagrams,
                "UDP datagrams dropped: a source outside loadBalancerSourceRanges, no usable endpoint, or a full queue"
                        + " towards a slow socket");
    }

    /** The operational HTTP servers' connections (health, metrics, health-check node ports), against their cap. */
    public void bindHttp(HttpServers http) {
        Gauge.builder("junction.http.connections.open", http, HttpServers::openConnections).strongReference(true)
                .description("Connections open now to the health, metrics and health-check node port servers")
                .register(registry);
        Gauge.builder("junction.http.connections.max", http, HttpServers::maxConnections).strongReference(true)
                .description("Cap on those connections, all servers together (a share of the open-files limit)")
                .register(registry);
        counter("junction.http.connections.evicted", http::evictedConnections,
                "Operational HTTP connections closed at the cap to admit a new one");
        counter("junction.http.connections.timed.out", http::timedOutConnections,
                "Operational HTTP connections closed because no complete request arrived in time");
        counter("junction.http.accept.failures", http::acceptFailures,
                "Operational HTTP accepts that failed (descriptors exhausted), each pausing accepts briefly");
    }

    /** The Kubernetes API source's counters. */
    public void bindKubeSource(LongSupplier relistsServerBehind, LongSupplier credentialsRefused) {
        counter("junction.kube.relists.server.behind", relistsServerBehind,
                "Relists because the API server was behind the resourceVersion held (etcd restored from a backup,"
                        + " or a watch cache lagging behind etcd)");
        counter("junction.kube.credentials.refused", credentialsRefused,
                "Times the API server began refusing the source's credentials (401 with the token file re-read, or"
                        + " no token to read); health fails while that outlasts the health limit");
    }

    /** The API source's lists that waited for its client-side rate limit. */
    public void bindKubeListRateLimit(LongSupplier listsThrottled) {
        counter("junction.kube.lists.throttled", listsThrottled,
                "Lists (and relists) of the Kubernetes API that waited for the client-side rate limit"
                        + " (--kube-api-qps, --kube-api-burst)");
    }

    /** The TCP data plane's counters of descriptor (or other resource) exhaustion. */
    public void bindTcp(LongSupplier acceptFailures, LongSupplier connectsWithoutSocket) {
        counter("junction.tcp.accept.failures", acceptFailures,
                "TCP accepts that failed (descriptor limit or other resource exhaustion); each pauses its listener 100 ms");
        counter("junction.tcp.connect.no.socket", connectsWithoutSocket,
                "TCP connections refused because no socket could be created towards an endpoint (descriptor limit)");
    }

    /** kube-proxy's last-sync gauge, from the health state's last applied batch. */
    public void bindHealth(ProxyHealth health) {
        Gauge.builder("kubeproxy.sync.proxy.rules.last.timestamp.seconds", health, ProxyHealth::lastUpdatedSeconds)
                .strongReference(true)
                .description("The last time a batch of changes was applied (seconds since the epoch)")
                .register(registry);
    }

    /**
     * kube-proxy's {@code kubeproxy_sync_proxy_rules_no_local_endpoints_total{traffic_policy}}, a gauge
     * despite its name: collected directly, since Micrometer drops {@code _total} from a gauge's name.
     */
    public void bindNoLocalEndpoints(IntSupplier internal, IntSupplier external) {
        registry.getPrometheusRegistry().register((MultiCollector) () -> MetricSnapshots.of(GaugeSnapshot.builder()
                .name("kubeproxy_sync_proxy_rules_no_local_endpoints_total")
                .help("Number of services with a Local traffic policy and no endpoints")
                .dataPoint(noLocal("internal", internal)).dataPoint(noLocal("external", external)).build()));
    }

    private static GaugeDataPointSnapshot noLocal(String trafficPolicy, IntSupplier count) {
        return GaugeDataPointSnapshot.builder().labels(Labels.of("traffic_policy", trafficPolicy))
                .value(count.getAsInt()).build();
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

    /** Renders everything; the per-service-port and per-endpoint series are read from the live table now. */
    public String scrape(String contentType) {
        return registry.scrape(contentType);
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
}
