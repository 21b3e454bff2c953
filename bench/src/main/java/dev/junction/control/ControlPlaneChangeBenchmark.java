package dev.junction.control;

import dev.junction.capture.Capture;
import dev.junction.dataplane.Transport;
import dev.junction.dataplane.tcp.TcpDataPlane;
import dev.junction.dataplane.tcp.TcpOptions;
import dev.junction.lb.ServiceBalancer;
import dev.junction.model.LbPolicy;
import dev.junction.model.Protocol;
import dev.junction.observe.LiveRoutes;
import io.kubernetes.client.openapi.models.V1Endpoint;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One EndpointSlice change through a real, synced {@link ControlPlane} holding {@code services} Services
 * (one slice of {@code endpoints} endpoints each, ClusterIPs on {@code 127.x.y.z} so the TCP data plane
 * binds them with {@code --capture none}). Each op hands the control plane a new version of the next
 * Service's slice (cycling through all of them; one endpoint's readiness alternates, so every op is a real
 * change) and flushes it, as a source does, so the benchmark thread applies it: the op ends when the
 * Service's new table is swapped in and the batch is done, the per-change control cost. (When the
 * affinity sweep is in the control context, the maintenance thread applies the change and the op spins
 * until the event-to-live timer has counted it.)
 *
 * <p>After each iteration the control plane's own meters are printed: {@code junction.event.to.live}
 * (received → table swapped) and {@code kubeproxy.sync.proxy.rules.duration} (the batch), averaged over
 * the iteration. The slice objects are built in setup, so
 * {@code -prof gc} counts what the control plane allocates per change (plus the queue's event and node),
 * not the client-java decoding that precedes it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-Xms512m", "-Xmx512m"})
public class ControlPlaneChangeBenchmark {

    @Param({"10000"})
    int services;

    @Param({"10"})
    int endpoints;

    private Transport transport;
    private ControlPlane control;
    /** {@code [0][i]}: Service i's slice with every endpoint ready; {@code [1][i]}: endpoint {@code i % endpoints} not. */
    private V1EndpointSlice[][] versions;
    private long changes;

    private Timer eventToLive;
    private Timer batch;
    private Counter endpointChanges;
    private long iterationChanges;
    private long iterationLiveCount;
    private double iterationLiveNanos;
    private long iterationBatchCount;
    private double iterationBatchNanos;
    private double iterationEndpointChanges;

    @Setup(Level.Trial)
    public void setUp() {
        transport = Transport.create(Transport.Kind.AUTO, 1);
        TcpDataPlane tcp = new TcpDataPlane(transport, new TcpOptions(Duration.ofSeconds(1), 3, Duration.ZERO));
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        control = new ControlPlane(KubeObjects.NODE, List.of(), LbPolicy.ROUND_ROBIN, Map.of(Protocol.TCP, tcp),
                Capture.none(), ServiceBalancer::create, meters);
        control.start();
        versions = new V1EndpointSlice[2][services];
        for (int i = 0; i < services; i++) {
            String name = "svc-" + i;
            int first = i * endpoints + 1;
            List<V1Endpoint> ready = KubeObjects.endpoints(first, endpoints);
            versions[0][i] = KubeObjects.slice(name, ready, first, -1, 1);
            versions[1][i] = KubeObjects.slice(name, ready, first, i % endpoints, 2);
            control.upsert(KubeObjects.service(name, KubeObjects.ip(127, i + 256)));
            control.upsert(versions[0][i]);
        }
        long start = System.nanoTime();
        control.synced();
        control.flush();
        if (control.appliedBatches() == 0) {
            throw new IllegalStateException("the control plane did not sync " + services + " Services");
        }
        List<LiveRoutes.FrontendStatus> live = control.liveRoutes().frontends();
        long listening = live.stream().filter(LiveRoutes.FrontendStatus::listening).count();
        if (live.size() != services || listening != services) {
            throw new IllegalStateException(listening + " of " + live.size() + " frontends listening, expected "
                    + services);
        }
        System.out.printf("%n[setup] %d Services synced and listening in %.2f s%n", services,
                (System.nanoTime() - start) / 1e9);
        eventToLive = meters.get("junction.event.to.live.duration").timer();
        batch = meters.get("kubeproxy.sync.proxy.rules.duration").timer();
        endpointChanges = meters.get("kubeproxy.sync.proxy.rules.endpoint.changes").counter();
    }

    @Benchmark
    public long sliceChangeToLive() {
        long round = changes / services;
        V1EndpointSlice slice = versions[(int) (round & 1) ^ 1][(int) (changes % services)];
        changes++;
        long live = eventToLive.count();
        control.upsert(slice);
        control.flush();
        // Live by now, unless the affinity sweep was in the control context: then the maintenance thread
        // applies it next.
        while (eventToLive.count() == live) {
            Thread.onSpinWait();
        }
        return live;
    }

    @Setup(Level.Iteration)
    public void startIteration() {
        iterationChanges = changes;
        iterationLiveCount = eventToLive.count();
        iterationLiveNanos = eventToLive.totalTime(TimeUnit.NANOSECONDS);
        iterationBatchCount = batch.count();
        iterationBatchNanos = batch.totalTime(TimeUnit.NANOSECONDS);
        iterationEndpointChanges = endpointChanges.count();
    }

    /** The control plane's own view of the iteration; also checks that every op was a real change. */
    @TearDown(Level.Iteration)
    public void endIteration() {
        long ops = changes - iterationChanges;
        long real = Math.round(endpointChanges.count() - iterationEndpointChanges);
        long live = eventToLive.count() - iterationLiveCount;
        long batches = batch.count() - iterationBatchCount;
        System.out.printf("%n[control] %d changes (%d real), %d batches: event->live mean %.2f us,"
                        + " batch (sync duration) mean %.2f us%n", ops, real, batches,
                (eventToLive.totalTime(TimeUnit.NANOSECONDS) - iterationLiveNanos) / live / 1e3,
                (batch.totalTime(TimeUnit.NANOSECONDS) - iterationBatchNanos) / batches / 1e3);
        if (real != ops || live != ops) {
            throw new IllegalStateException(ops + " changes sent, " + real + " taken as real, " + live + " live");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        control.close();
        transport.close();
    }
}
