package dev.junction.bench;

import dev.junction.capture.Capture;
import dev.junction.control.ControlPlane;
import dev.junction.dataplane.Transport;
import dev.junction.dataplane.tcp.TcpDataPlane;
import dev.junction.dataplane.tcp.TcpOptions;
import dev.junction.lb.ServiceBalancer;
import dev.junction.model.LbPolicy;
import dev.junction.model.Protocol;
import dev.junction.source.ObjectValidator;
import dev.junction.source.kube.ApiContentType;
import dev.junction.source.kube.ClientSettings;
import dev.junction.source.kube.KubeSource;
import dev.junction.source.kube.WatchSettings;
import io.kubernetes.client.openapi.ApiClient;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Scale benchmark of the Kubernetes API source (not a test): a fake API server ({@link ScaleApiServer}, in
 * its own JVM) holding N Services, each with one EndpointSlice of E endpoints, on loopback VIPs ({@code 127.x.y.z}, so {@code --capture none}
 * binds them). Measures (1) initial list → every route live, and the heap after it; (2) a stream of
 * endpoint changes at R per second for S seconds: Junction's event-received → live latency, the network
 * programming latency from the trigger time the fake server stamps as it writes each change, and whether a
 * backlog builds up.
 *
 * <p>Run from the benchmarks jar, e.g. {@code java -Xmx300m -cp bench/target/benchmarks.jar
 * dev.junction.bench.KubeScaleBench 10000 10 1000 60 [protobuf|json]}; the JVM flags given are the proxy's, the
 * last argument what the source asks the API server for (default: protobuf, the source's default).
 */
public final class KubeScaleBench {

    private static final double OVER_NANOS = 1e6;

    private KubeScaleBench() {
    }

    /**
     * Changes that took longer than {@code nanos} (a bucket bound), from the buckets alone: a snapshot's
     * count is read apart from its buckets, so count minus a bucket can come out below zero mid-run. (A
     * change slower than the largest bucket, a minute, would not be counted.)
     */
    private static double slowerThan(HistogramSnapshot snapshot, double nanos) {
        CountAtBucket[] buckets = snapshot.histogramCounts();
        return buckets[buckets.length - 1].count() - within(snapshot, nanos);
    }

    /** Changes that went live within {@code nanos}: {@code nanos} must be a bucket bound. */
    private static double within(HistogramSnapshot snapshot, double nanos) {
        for (CountAtBucket bucket : snapshot.histogramCounts()) {
            if (bucket.bucket() == nanos) {
                return bucket.count();
            }
        }
        throw new IllegalStateException("no bucket at " + nanos + " ns");
    }

    /**
     * The bound of the first bucket holding the {@code p} quantile: the quantile is at most this. Read from
     * the histogram's buckets, so measuring adds nothing but bucket counts to the control context's work.
     */
    private static double atMostMillis(HistogramSnapshot snapshot, double p) {
        double rank = Math.ceil(p * snapshot.count());
        for (CountAtBucket bucket : snapshot.histogramCounts()) {
            if (bucket.count() >= rank) {
                return bucket.bucket(TimeUnit.MILLISECONDS);
            }
        }
        return snapshot.max(TimeUnit.MILLISECONDS);
    }

    public static void main(String[] args) throws Exception {
        int services = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int endpoints = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int rate = args.length > 2 ? Integer.parseInt(args[2]) : 1_000;
        int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 60;
        ApiContentType contentType = args.length > 4 ? ApiContentType.valueOf(args[4].toUpperCase(java.util.Locale.ROOT))
                : ClientSettings.DEFAULT_CONTENT_TYPE;

        // The registry production serves, with its buckets, plus finer ones to measure with: production's
        // are kube-proxy's (network programming starts at 0.25 s) or 20 doubling from 10 us, too coarse to
        // tell 0.1 ms from 0.15 ms. Micrometer's percentile histogram over 1 us - 5 min, as production
        // published before, and one bucket at the target.
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        meters.config().meterFilter(new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                double[] production = config.getServiceLevelObjectiveBoundaries();
                double[] bounds = production == null ? new double[1] : Arrays.copyOf(production, production.length + 1);
                bounds[bounds.length - 1] = OVER_NANOS;
                // No client-side percentiles, whose HdrHistogram would be work in the control context that
                // production does not do.
                return DistributionStatisticConfig.builder().percentilesHistogram(true)
                        .minimumExpectedValue(1e3).maximumExpectedValue(300e9).serviceLevelObjectives(bounds)
                        .expiry(java.time.Duration.ofMinutes(10)).bufferLength(1).build().merge(config);
            }
        });
        Process api = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-XX:+UseParallelGC", "-cp", System.getProperty("java.class.path"),
                ScaleApiServer.class.getName(), String.valueOf(services), String.valueOf(endpoints))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (Transport transport = Transport.create(Transport.Kind.AUTO, 1)) {
            BufferedReader from = new BufferedReader(new InputStreamReader(api.getInputStream(), StandardCharsets.UTF_8));
            PrintStream to = new PrintStream(api.getOutputStream(), true, StandardCharsets.UTF_8);
            String url = expect(from, "url");
            TcpDataPlane tcp = new TcpDataPlane(transport,
                    new TcpOptions(java.time.Duration.ofSeconds(1), 3, java.time.Duration.ZERO));
            ControlPlane control = new ControlPlane("node-a", List.of(), LbPolicy.ROUND_ROBIN,
                    Map.of(Protocol.TCP, tcp), Capture.none(), ServiceBalancer::create, meters);
            control.start();
            KubeSource source = new KubeSource(new ApiClient().setBasePath(url), "node-a", control,
                    ObjectValidator.apiServer(), line -> System.err.println("problem: " + line),
                    WatchSettings.defaults(), ClientSettings.defaults().withContentType(contentType));
            long start = System.nanoTime();
            source.start();
            while (control.appliedBatches() == 0) {
                LockSupport.parkNanos(1_000_000);
            }
            double initialSeconds = (System.nanoTime() - start) / 1e9;
            // Both JVMs share this machine's cores: what the fake API server spent is time Junction could not.
            double ownCpu = ManagementFactory.getPlatformMXBean(com.sun.management.OperatingSystemMXBean.class)
                    .getProcessCpuTime() / 1e9;
            double apiCpu = api.toHandle().info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(Double.NaN);
            System.gc();
            long heapMb = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20;
            System.out.printf("initial (%s): %d services, %d endpoints: all routes live in %.2f s; heap after GC %d MB;"
                    + " CPU since launch: Junction %.2f s, fake API server %.2f s%n", contentType.name().toLowerCase(
                    java.util.Locale.ROOT), services, services * endpoints, initialSeconds, heapMb, ownCpu, apiCpu);

            Timer toLive = meters.timer("junction.event.to.live.duration");
            Timer programming = meters.timer("kubeproxy.network.programming.duration");
            long sent = 0;
            long maxBacklog = 0;
            long windowCount = 0;
            double windowOver = 0;
            double windowProgrammedOver = 0;
            int windowSeconds = 0;
            Map<String, Long> allocatedBefore = allocatedByThread();
            long stealBefore = stealTicks();
            to.println("changes " + rate + " " + seconds);
            String line;
            while ((line = from.readLine()) != null && !line.startsWith("done ")) {
                if (line.startsWith("sent ")) {
                    sent = Long.parseLong(line.substring("sent ".length()));
                    maxBacklog = Math.max(maxBacklog, sent - toLive.count());
                    if (++windowSeconds <= 10 || windowSeconds % 5 == 0) {
                        // Where the slow changes fall: spread out (pauses) or bunched at the start (warm-up, shown per second).
                        HistogramSnapshot now = toLive.takeSnapshot();
                        double over = slowerThan(now, OVER_NANOS);
                        HistogramSnapshot programmedNow = programming.takeSnapshot();
                        double programmedOver = slowerThan(programmedNow, OVER_NANOS);
                        System.out.printf("  %2d s: %d changes, %.0f over %.1f ms (network programming: %.0f)%n",
                                windowSeconds, now.count() - windowCount, over - windowOver, OVER_NANOS / 1e6,
                                programmedOver - windowProgrammedOver);
                        windowCount = now.count();
                        windowOver = over;
                        windowProgrammedOver = programmedOver;
                    }
                }
            }
            if (line == null) {
                throw new IllegalStateException("the fake API server ended early");
            }
            sent = Long.parseLong(line.substring("done ".length()));
            long drainDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (toLive.count() < sent && System.nanoTime() < drainDeadline) {
                LockSupport.parkNanos(1_000_000);
            }
            HistogramSnapshot all = toLive.takeSnapshot();
            double over = slowerThan(all, OVER_NANOS);
            System.out.printf("changes: %d sent, %d live; max backlog seen %d; event-to-live over %.1f ms: %.0f (%.2f%%);"
                    + " p50 <= %.3f ms, p99 <= %.3f ms, p99.9 <= %.3f ms, max %.3f ms%n", sent, all.count(),
                    maxBacklog, OVER_NANOS / 1e6, over, 100 * over / all.count(), atMostMillis(all, 0.5),
                    atMostMillis(all, 0.99), atMostMillis(all, 0.999), all.max(TimeUnit.MILLISECONDS));
            // From the trigger time the fake server stamps as it writes each change: adds the socket, the wait
            // for the watch thread (a GC pause included) and decoding to the event-to-live measure above.
            HistogramSnapshot programmed = programming.takeSnapshot();
            double programmedOver = slowerThan(programmed, OVER_NANOS);
            System.out.printf("network programming (written by the fake server -> live): %d changes; over %.1f ms:"
                    + " %.0f (%.2f%%); p50 <= %.3f ms, p99 <= %.3f ms, p99.9 <= %.3f ms, max %.3f ms%n",
                    programmed.count(), OVER_NANOS / 1e6, programmedOver, 100 * programmedOver / programmed.count(),
                    atMostMillis(programmed, 0.5), atMostMillis(programmed, 0.99), atMostMillis(programmed, 0.999),
                    programmed.max(TimeUnit.MILLISECONDS));
            Timer sync = meters.timer("kubeproxy.sync.proxy.rules.duration");
            System.out.printf("sync batches: %d, mean %.3f ms%n", sync.count(), sync.mean(TimeUnit.MILLISECONDS));
            // Time the hypervisor ran something else on this VM's CPUs: stalls no code in the proxy can avoid.
            long steal = stealTicks() - stealBefore;
            if (steal >= 0) {
                System.out.printf("steal time during the changes, all CPUs: %d ms%n", steal * 10);
            }
            // What each thread allocated per change: what sets how often the young generation is collected.
            long changed = Math.max(1, toLive.count());
            allocatedByThread().forEach((thread, bytes) -> {
                long delta = bytes - allocatedBefore.getOrDefault(thread, 0L);
                if (delta / changed >= 64) {
                    System.out.printf("  allocated per change by %s: %.1f KB%n", thread, delta / 1024.0 / changed);
                }
            });
            source.close();
            control.close();
        } finally {
            api.destroy();
        }
    }

    /** The machine's steal time so far in 10 ms ticks (Linux {@code /proc/stat}), or -1 where unreadable. */
    private static long stealTicks() {
        try {
            String[] cpu = java.nio.file.Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            return cpu.length > 8 ? Long.parseLong(cpu[8]) : -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Bytes allocated so far by each live thread, by name. */
    private static Map<String, Long> allocatedByThread() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Map<String, Long> allocated = new java.util.TreeMap<>();
        for (var info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null) {
                allocated.merge(info.getThreadName(), threads.getThreadAllocatedBytes(info.getThreadId()), Long::sum);
            }
        }
        return allocated;
    }

    private static String expect(BufferedReader from, String word) throws IOException {
        String line = from.readLine();
        if (line == null || !line.startsWith(word + " ")) {
            throw new IllegalStateException("fake API server said " + line + " instead of " + word);
        }
        return line.substring(word.length() + 1);
    }
}
