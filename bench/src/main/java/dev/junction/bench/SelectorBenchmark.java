package dev.junction.bench;

import dev.junction.lb.EndpointState;
import dev.junction.lb.EndpointTable;
import dev.junction.lb.ServiceBalancer;
import dev.junction.model.Addresses;
import dev.junction.model.Endpoint;
import dev.junction.model.FrontendKind;
import dev.junction.model.LbPolicy;
import dev.junction.model.Protocol;
import dev.junction.model.ServicePortName;
import dev.junction.model.ServiceRoute;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of one endpoint pick through the public {@code lb} API, per table size: round-robin, least
 * connections and a ClientIP affinity hit. Least connections scans up to 8 endpoints and draws two random
 * choices above, so 8 and 9 show its cost on both sides of that limit. Run with {@code -prof gc}: every
 * pick must report 0 B/op.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
public class SelectorBenchmark {

    /** The client address every pick is made for. */
    public static final InetAddress CLIENT = Addresses.parse("10.244.7.19");

    @Param({"3", "8", "9", "100", "1000"})
    int endpoints;

    private InetAddress client;
    private EndpointTable roundRobin;
    private EndpointTable leastConnections;
    private EndpointTable affinity;

    @Setup(Level.Trial)
    public void setUp() {
        List<Endpoint> list = endpoints(endpoints);
        client = CLIENT;

        // One balancer per table: a balancer holds one selector, so mixing policies would swap it.
        roundRobin = table("rr", list, LbPolicy.ROUND_ROBIN, Duration.ZERO);
        leastConnections = table("lc", list, LbPolicy.LEAST_CONNECTIONS, Duration.ZERO);
        affinity = table("affinity", list, LbPolicy.ROUND_ROBIN, Duration.ofHours(3));
        openConnections(roundRobin);
        openConnections(leastConnections);
        openConnections(affinity);

        // Pin the client now so the benchmark measures affinity hits, not the one-off first pin.
        EndpointState pinned = affinity.pick(client, null);
        if (pinned == null || affinity.pick(client, null) != pinned) {
            throw new IllegalStateException("affinity did not pin " + client);
        }
    }

    @Benchmark
    public EndpointState roundRobin() {
        return roundRobin.pick(client, null);
    }

    /** Scan up to the selector's scan limit, power of two choices above. */
    @Benchmark
    public EndpointState leastConnections() {
        return leastConnections.pick(client, null);
    }

    @Benchmark
    public EndpointState clientIpAffinityHit() {
        return affinity.pick(client, null);
    }

    /** {@code n} pod-like endpoints, the same for every benchmark of selection. */
    public static List<Endpoint> endpoints(int n) {
        List<Endpoint> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(Endpoint.of("10.1." + (i / 250) + '.' + (i % 250 + 1), 8080));
        }
        return list;
    }

    /** A service port's table, built as the control plane builds it. */
    public static EndpointTable table(String name, List<Endpoint> endpoints, LbPolicy policy, Duration affinity) {
        ServicePortName service = new ServicePortName("bench", name, "", Protocol.TCP);
        ServiceRoute route = new ServiceRoute(service, FrontendKind.CLUSTER_IP, endpoints, policy, affinity);
        return ServiceBalancer.create(service).tables(List.of(route)).get(0);
    }

    /**
     * Skewed live counts, the same for every table (fixed seed): most endpoints carry a few dozen
     * connections, one in ten is hot with a few hundred, so the minimum moves around the table.
     */
    public static void openConnections(EndpointTable table) {
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < table.size(); i++) {
            int live = 1 + random.nextInt(40);
            if (random.nextInt(10) == 0) {
                live += 100 + random.nextInt(300);
            }
            EndpointState state = table.state(i);
            for (int c = 0; c < live; c++) {
                state.connectionOpened();
            }
        }
    }
}
