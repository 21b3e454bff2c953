package dev.junction.control;

import dev.junction.capture.Capture;
import dev.junction.dataplane.DataPlane;
import dev.junction.dataplane.Listener;
import dev.junction.lb.EndpointTable;
import dev.junction.lb.ServiceBalancer;
import dev.junction.model.Frontend;
import dev.junction.model.LbPolicy;
import dev.junction.model.Protocol;
import dev.junction.model.ServiceRoute;
import io.kubernetes.client.openapi.models.V1Endpoint;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1Service;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
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
 * Rebuilding and swapping the route of one Service with one EndpointSlice of {@code endpoints} endpoints
 * when one endpoint's readiness changes. Every op alternates between two versions of the slice (all
 * ready; the middle endpoint not ready), so each one is a real change:
 *
 * <ul>
 *   <li>{@code build}: {@link RouteBuilder#build} from the converted slice ({@link CachedSlice}) alone;
 *   <li>{@code buildAndSwap}: that, then {@link ServiceBalancer#tables} and the volatile write into a
 *       listener slot;
 *   <li>{@code sliceChangeToSwap}: the whole per-change work in the control context for this Service, minus the
 *       queue: {@link EndpointSliceCache#upsert} of the client-java object (conversion, no-op check, sharing
 *       unchanged endpoints), {@link RouteBuilder#build}, and {@link Programmer#apply} (route diff, tables,
 *       swap).
 * </ul>
 *
 * In this package to reach the package-private control classes. The listener is unbound: only its slot is
 * written.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseG1GC", "-Xms512m", "-Xmx512m"})
public class ServiceRouteBenchmark {

    private static final String SERVICE = "web";
    private static final NodeInfo NODE = new NodeInfo(KubeObjects.NODE, null, List.of());
    private static final Consumer<String> PROBLEMS = line -> {
        throw new IllegalStateException("unexpected problem: " + line);
    };

    @Param({"1000"})
    int endpoints;

    private V1Service service;
    private ServiceKey key;
    private V1EndpointSlice[] versions;
    private List<CachedSlice>[] converted;
    private int next;

    private ServiceBalancer balancer;
    private Listener listener;

    private EndpointSliceCache cache;
    private Programmer programmer;
    /** The programmer checks that it is in the control context; each op enters it, as a batch would. */
    private final ControlContext<Object> context = new ControlContext<>(batch -> {
    });
    private Map<Frontend, ServiceRoute> routes;
    private int changes;
    /** Applies {@code routes} in the context; a field, so that no op allocates it. */
    private final Runnable applyRoutes = () -> changes = programmer.apply(key, routes, PROBLEMS).changes();

    @Setup(Level.Trial)
    @SuppressWarnings("unchecked")
    public void setUp() {
        service = KubeObjects.service(SERVICE, "127.0.1.1");
        key = ServiceKey.of(service.getMetadata());
        List<V1Endpoint> ready = KubeObjects.endpoints(1, endpoints);
        versions = new V1EndpointSlice[] {
                KubeObjects.slice(SERVICE, ready, 1, -1, 1),
                KubeObjects.slice(SERVICE, ready, 1, endpoints / 2, 2),
        };
        // As the cache holds them: the second version shares the unchanged endpoints of the first.
        CachedSlice first = CachedSlice.of(versions[0]);
        converted = new List[] {List.of(first), List.of(CachedSlice.of(versions[1], first))};

        Map.Entry<Frontend, ServiceRoute> initial = only(RouteBuilder.build(service, converted[0], NODE,
                LbPolicy.ROUND_ROBIN, PROBLEMS));
        balancer = ServiceBalancer.create(initial.getValue().service());
        listener = new Listener(initial.getKey(), balancer.tables(List.of(initial.getValue())).get(0));

        // The same Service through the cache and the programmer, as the control plane holds it after sync.
        cache = new EndpointSliceCache();
        cache.upsert(versions[0]);
        DataPlane unbound = (frontend, table) -> new Listener(frontend, table);
        programmer = new Programmer(context, Map.of(Protocol.TCP, unbound), Capture.none(), ServiceBalancer::create);
        context.execute(() -> {
            programmer.apply(key, RouteBuilder.build(service, cache.slices(key), NODE, LbPolicy.ROUND_ROBIN, PROBLEMS),
                    PROBLEMS);
            programmer.flush();
        });
        if (programmer.listening() != 1) {
            throw new IllegalStateException("the frontend was not opened");
        }
        if (route(converted[0]).endpoints().size() != endpoints
                || route(converted[1]).endpoints().size() != endpoints - 1) {
            throw new IllegalStateException("the two slice versions do not differ by one ready endpoint");
        }
    }

    @Benchmark
    public Map<Frontend, ServiceRoute> build() {
        return RouteBuilder.build(service, converted[flip()], NODE, LbPolicy.ROUND_ROBIN, PROBLEMS);
    }

    @Benchmark
    public EndpointTable buildAndSwap() {
        ServiceRoute route = route(converted[flip()]);
        EndpointTable table = balancer.tables(List.of(route)).get(0);
        listener.update(table);
        return table;
    }

    @Benchmark
    public int sliceChangeToSwap() {
        if (cache.upsert(versions[flip()]).isEmpty()) {
            throw new IllegalStateException("the slice change was taken for a no-op");
        }
        routes = RouteBuilder.build(service, cache.slices(key), NODE, LbPolicy.ROUND_ROBIN, PROBLEMS);
        // Reset: the context logs what a failed apply throws rather than passing it on.
        changes = 0;
        context.execute(applyRoutes);
        if (changes != 1) {
            throw new IllegalStateException("expected one table swap, got " + changes + " frontend changes");
        }
        return changes;
    }

    /** 1, 0, 1, 0, ...: the version the next op changes to. */
    private int flip() {
        next ^= 1;
        return next;
    }

    private ServiceRoute route(Collection<CachedSlice> slices) {
        return only(RouteBuilder.build(service, slices, NODE, LbPolicy.ROUND_ROBIN, PROBLEMS)).getValue();
    }

    private static Map.Entry<Frontend, ServiceRoute> only(Map<Frontend, ServiceRoute> routes) {
        if (routes.size() != 1) {
            throw new IllegalStateException("expected one frontend, got " + routes.keySet());
        }
        return routes.entrySet().iterator().next();
    }
}
