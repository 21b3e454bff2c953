package dev.junction.dataplane.tcp;

import dev.junction.bench.SelectorBenchmark;
import dev.junction.dataplane.Listener;
import dev.junction.lb.EndpointState;
import dev.junction.lb.EndpointTable;
import dev.junction.model.Addresses;
import dev.junction.model.Endpoint;
import dev.junction.model.Frontend;
import dev.junction.model.LbPolicy;
import dev.junction.model.Protocol;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
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
 * What the TCP data plane does for each new connection before it connects: one volatile read of the
 * listener's slot ({@link Listener#table()}, as {@code FrontendHandler.channelActive} does) and one pick
 * from the table it got. The listener is the real {@link Listener} the TCP data plane binds, unbound here:
 * the slot is all that is read, so no socket is needed. Run with {@code -prof gc}: a pick must report 0 B/op.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
public class RouteSlotBenchmark {

    @Param({"3", "100", "1000"})
    int endpoints;

    private InetAddress client;
    private Listener roundRobin;
    private Listener leastConnections;

    @Setup(Level.Trial)
    public void setUp() {
        List<Endpoint> list = SelectorBenchmark.endpoints(endpoints);
        client = SelectorBenchmark.CLIENT;
        roundRobin = listener("rr", "127.0.1.1", list, LbPolicy.ROUND_ROBIN);
        leastConnections = listener("lc", "127.0.1.2", list, LbPolicy.LEAST_CONNECTIONS);
    }

    @Benchmark
    public EndpointState roundRobin() {
        return roundRobin.table().pick(client, null);
    }

    /** The adaptive least-connections default: full scan up to the selector's limit, power of two choices above. */
    @Benchmark
    public EndpointState leastConnections() {
        return leastConnections.table().pick(client, null);
    }

    private static Listener listener(String name, String vip, List<Endpoint> endpoints, LbPolicy policy) {
        EndpointTable table = SelectorBenchmark.table(name, endpoints, policy, Duration.ZERO);
        // The skewed live counts of SelectorBenchmark, so least-connections has a minimum to find.
        SelectorBenchmark.openConnections(table);
        return new Listener(new Frontend(Addresses.parse(vip), 8080, Protocol.TCP), table);
    }
}
