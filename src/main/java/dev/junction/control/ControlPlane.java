package dev.junction.control;

import dev.junction.capture.Capture;
import dev.junction.dataplane.DataPlane;
import dev.junction.lb.ServiceBalancer;
import dev.junction.model.Cidr;
import dev.junction.model.LbPolicy;
import dev.junction.model.Protocol;
import dev.junction.model.ServicePortName;
import dev.junction.observe.LiveRoutes;
import dev.junction.observe.RateLimitedLog;
import dev.junction.observe.ServiceHealthServer;
import dev.junction.observe.SyncHealth;
import dev.junction.source.ObjectSink;
import io.kubernetes.client.common.KubernetesObject;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.kubernetes.client.openapi.models.V1Service;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane: sources queue objects from any thread into the {@link ControlContext} and then
 * {@link #flush} them, which applies everything queued as one batch on the flushing thread (or, when another
 * thread is in the context, leaves it to that thread, next). A batch records what changed
 * ({@link ChangeTracker}; no-ops are dropped) and, once the sources have synced, rebuilds the routes of
 * every Service it touched ({@link RouteBuilder}), programs them ({@link Programmer}), binds the new
 * frontends and installs their routes ({@link Capture}), then reports metrics and health. There is no fixed
 * sync delay.
 *
 * <p>Why the source's own thread applies: it is running when the change arrives, while a thread of the
 * control plane's own would first have to be woken and scheduled. On a busy two-core node that wake-up alone
 * took 1-8 ms for about one change in a hundred at 1,000 changes per second (bench {@code KubeScaleBench}),
 * many times the work of applying the change. The {@code junction-control} maintenance thread only expires
 * ClientIP affinity entries and re-reads the node's NodePort addresses, in the control context.
 */
public final class ControlPlane implements ObjectSink, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ControlPlane.class);
    private static final long AFFINITY_SWEEP_MILLIS = 10_000;
    /**
     * How often a frontend that failed to bind is tried again. A port is held by another process mostly while a
     * predecessor that did not hand over still serves it; once it exits, this is how long the port stays unserved.
     */
    static final long REBIND_MILLIS = 1_000;

    private final ControlContext<Event> context = new ControlContext<>(this::applyBatch);
    private final NodeState node;
    private final ChangeTracker changes;
    private final Programmer programmer;
    private final Capture capture;
    private final ProblemLog problems = new ProblemLog(log);
    private final RateLimitedLog rebindLog = new RateLimitedLog(log, Duration.ofSeconds(10));
    private final ControlPlaneMetrics metrics;
    private final LbPolicy defaultPolicy;
    private final String nodeName;
    private final Thread thread;
    private SyncHealth health = SyncHealth.NONE;
    private ServiceHealthTracker serviceHealth;
    private boolean synced;
    private final SyncProgress progress = new SyncProgress(System::nanoTime);
    private volatile boolean running = true;
    /** Once a source has failed, its changes are pending for good: health is never told all is applied. */
    private volatile boolean sourceFailed;
    private volatile long appliedBatches;
    private Runnable afterFirstSync = () -> { };

    public ControlPlane(String nodeName, List<InetAddress> nodePortAddresses, LbPolicy defaultPolicy,
            Map<Protocol, DataPlane> planes, Capture capture, Function<ServicePortName, ServiceBalancer> balancers) {
        this(nodeName, nodePortAddresses, defaultPolicy, planes, capture, balancers, new SimpleMeterRegistry());
    }

    /** A control plane that records its metrics (sync duration, network programming latency, ...) in {@code meters}. */
    public ControlPlane(String nodeName, List<InetAddress> nodePortAddresses, LbPolicy defaultPolicy,
            Map<Protocol, DataPlane> planes, Capture capture, Function<ServicePortName, ServiceBalancer> balancers,
            MeterRegistry meters) {
        ChangePathWarmUp.run();
        this.metrics = new ControlPlaneMetrics(meters);
        this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
        this.node = new NodeState(context, nodeName, nodePortAddresses);
        this.changes = new ChangeTracker(context, node, metrics);
        this.defaultPolicy = defaultPolicy;
        this.capture = capture;
        this.programmer = new Programmer(context, planes, capture, balancers);
        this.thread = new Thread(this::run, "junction-control");
        this.thread.setDaemon(true);
        this.serviceHealth = new ServiceHealthTracker(context, ServiceHealthServer.NONE, nodeName);
    }

    public ControlPlane(String nodeName, LbPolicy defaultPolicy, Map<Protocol, DataPlane> planes, Capture capture) {
        this(nodeName, List.of(), defaultPolicy, planes, capture, ServiceBalancer::create);
    }

    /**
     * Starts the {@code junction-control} maintenance thread, which expires ClientIP affinity entries and
     * re-reads NodePort addresses; changes are applied by {@link #flush}.
     */
    public void start() {
        thread.start();
    }

    /**
     * Reports queue and node health to {@code health} and service health checks (each eTP Local LoadBalancer
     * Service's health-check node port and local endpoints) to {@code serviceHealth}; call before {@link #start}.
     */
    public void observe(SyncHealth health, ServiceHealthServer serviceHealth) {
        this.health = Objects.requireNonNull(health, "health");
        this.node.reportTo(health);
        this.serviceHealth = new ServiceHealthTracker(context, serviceHealth, nodeName);
    }

    /**
     * Re-reads the NodePort addresses from {@code addresses} every 10 s (with the affinity sweep), so an
     * address that appears on the node gets its NodePort listeners and one that goes away loses them; call
     * before {@link #start}.
     */
    public void followNodePortAddresses(Supplier<List<InetAddress>> addresses) {
        node.follow(addresses);
    }

    /**
     * Counts traffic from {@code clusterCidrs} as this node's pods, which externalTrafficPolicy Local
     * short-circuits to the cluster endpoints (kube-proxy's {@code detectLocalMode: ClusterCIDR}); without it,
     * the pods are those of the Node's {@code spec.podCIDRs} ({@code NodeCIDR}). Call before {@link #start}.
     */
    public void detectLocalPodsByClusterCidr(List<Cidr> clusterCidrs) {
        node.podsByClusterCidr(clusterCidrs);
    }

    /**
     * Runs {@code task} once, in the control context, right after the first sync is programmed (listeners open,
     * routes installed); call before {@link #start}. A socket handover finishes there.
     */
    public void afterFirstSync(Runnable task) {
        this.afterFirstSync = Objects.requireNonNull(task, "task");
    }

    /**
     * Reads the NodePort addresses now and, if they changed, applies the change (rebinding every Service's
     * NodePorts) before returning, unless another thread is in the control context: then that thread does, next.
     */
    void refreshNodePortAddresses() {
        List<InetAddress> changed = node.readAddresses();
        if (changed != null) {
            enqueue(new Event.NodePortAddresses(changed, System.nanoTime()));
            flush();
        }
    }

    /** What is programmed now, for the admin server and metrics; callable from any thread. */
    public LiveRoutes liveRoutes() {
        return programmer.liveRoutes();
    }

    /**
     * kube-proxy's {@code no_local_endpoints_total{traffic_policy="internal"}}: service ports (per family) with
     * internalTrafficPolicy Local and endpoints, none of them on this node. Callable from any thread.
     */
    public int internalWithoutLocalEndpoints() {
        return metrics.noLocalInternal();
    }

    /** The same for externalTrafficPolicy Local, counting only ports reachable from outside the cluster. */
    public int externalWithoutLocalEndpoints() {
        return metrics.noLocalExternal();
    }

    @Override
    public void upsert(KubernetesObject object) {
        enqueue(new Event.Upsert(Objects.requireNonNull(object, "object"), System.nanoTime()));
    }

    @Override
    public void delete(KubernetesObject object) {
        enqueue(new Event.Delete(Objects.requireNonNull(object, "object"), System.nanoTime()));
    }

    @Override
    public void synced() {
        enqueue(new Event.Synced(System.nanoTime()));
    }

    /**
     * Reports the source's failure through the health seam every change uses: a change queued now that no
     * batch will ever apply, so {@code /healthz} and {@code /livez} fail once the health limit has passed, as
     * kube-proxy's do when its sync loop stops. Called from the failed source's thread.
     */
    @Override
    public void failed(String reason) {
        sourceFailed = true;
        health.queued();
    }

    /**
     * Readiness only: {@code /healthz} fails once the stall has lasted the health limit; {@code /livez} does
     * not, since restarting the proxy would cut every connection on the node and bring no credentials. Called
     * from the source's thread, which orders its stalled and resumed calls.
     */
    @Override
    public void stalled(String reason) {
        health.sourceStalled(true);
    }

    @Override
    public void resumed() {
        health.sourceStalled(false);
    }

    private void enqueue(Event e) {
        metrics.queued(e);
        context.enqueue(e);
        health.queued();
    }

    /**
     * Applies everything queued as one batch on the calling thread, unless another thread is in the control
     * context: then that thread applies it once it is done, and this returns at once. After {@link #close}
     * queued objects are dropped.
     */
    @Override
    public void flush() {
        context.drain();
    }

    /** Batches applied since start; lets tests and health checks see that the queue drained. */
    public long appliedBatches() {
        return appliedBatches;
    }

    /**
     * The {@code junction-control} maintenance thread: binds again, every second, frontends that failed to bind;
     * expires idle ClientIP affinity entries and re-reads the NodePort addresses every 10 s; until closed.
     */
    private void run() {
        long ticks = 0;
        while (running) {
            try {
                Thread.sleep(REBIND_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            if (programmer.anyBindFailed()) {
                context.execute(this::rebindFailed);
            }
            if (++ticks % (AFFINITY_SWEEP_MILLIS / REBIND_MILLIS) == 0) {
                context.execute(() -> {
                    if (running) {
                        programmer.expireAffinity();
                    }
                });
                refreshNodePortAddresses();
            }
        }
    }

    /** Applies again the Services whose frontends failed to bind, so they bind now if they can. Runs in the control context. */
    private void rebindFailed() {
        if (!running) {
            return;
        }
        NodeInfo nodeInfo = node.info();
        for (ServiceKey key : programmer.bindFailedServices()) {
            applyService(key, nodeInfo, null);
        }
        List<String> still = programmer.flush();
        capture.flush();
        if (still.isEmpty()) {
            log.info("every frontend that had failed to bind is bound now");
        } else {
            metrics.bindRetriesFailed.increment(still.size());
            rebindLog.warn("{} frontends still cannot be bound, tried again every {} ms; first: {}", still.size(),
                    REBIND_MILLIS, still.get(0));
        }
    }

    /** Runs in the control context. */
    private void applyBatch(List<Event> batch) {
        if (!running) {
            return;
        }
        boolean justSynced = false;
        int objects = 0;
        BatchTiming timing = new BatchTiming(batch.size());
        for (Event e : batch) {
            if (e instanceof Event.Synced) {
                justSynced |= !synced;
                synced = true;
                timing.recorded(Set.of());
            } else {
                objects++;
                Set<ServiceKey> changed = changes.record(e);
                metrics.recorded(e, !changed.isEmpty());
                timing.recorded(changed);
            }
        }
        if (!synced) {
            progress.listed(objects, changes.serviceCount()).ifPresent(log::info);
            return;
        }
        if (justSynced) {
            progress.synced(objects);
            changes.rebuildAll();
        }
        // Shared by every Service of the batch rather than made again for each.
        NodeInfo nodeInfo = node.info();
        // The first sync's changes waited for the other lists, not for the control plane: not timed.
        BatchTiming swaps = justSynced ? null : timing;
        int frontendChanges = 0;
        for (ServiceKey key : changes.dirty()) {
            frontendChanges += applyService(key, nodeInfo, swaps);
        }
        // A frontend one Service released may be wanted by another that was refused it: theirs now.
        for (Set<ServiceKey> again = programmer.takeUnblocked(); !again.isEmpty(); again = programmer.takeUnblocked()) {
            for (ServiceKey key : again) {
                frontendChanges += applyService(key, nodeInfo, swaps);
            }
        }
        problems.happened(programmer.flush());
        // Listeners are open (IP_FREEBIND lets them bind first); now their routes, all in one batch.
        capture.flush();
        if (justSynced) {
            log.info(progress.programmed(changes.serviceCount(), programmer.listening()));
            afterFirstSync.run();
        }
        timing.live(batch, justSynced, metrics);
        metrics.applied();
        log.debug("applied {} events for {} services: {} frontend changes", batch.size(), changes.dirty().size(),
                frontendChanges);
        changes.rebuilt();
        appliedBatches++;
        if (sourceFailed) {
            return;
        }
        health.applied();
        if (context.hasQueued()) {
            // Queued while this batch was applied: pending, and this thread's to apply next.
            health.queued();
        }
    }

    /**
     * Rebuilds and programs one Service; tells {@code timing} (when given) if its new tables were live at once.
     * Returns how many frontends changed.
     */
    private int applyService(ServiceKey key, NodeInfo nodeInfo, BatchTiming timing) {
        V1Service svc = changes.service(key);
        Collection<CachedSlice> serviceSlices = svc == null ? List.of() : changes.slices(key);
        // What this rebuild finds wrong: route building's problems, then a frontend another Service holds.
        List<String> rebuildProblems = new ArrayList<>();
        Consumer<String> report = rebuildProblems::add;
        RouteBuilder.Built built = svc == null
                ? new RouteBuilder.Built(Map.of(), RouteBuilder.NoLocalEndpoints.NONE)
                : RouteBuilder.rebuild(svc, serviceSlices, nodeInfo, defaultPolicy, report);
        Programmer.Applied applied = programmer.apply(key, built.routes(), report);
        problems.rebuilt(key, rebuildProblems);
        metrics.noLocalEndpoints(key, built.noLocalEndpoints());
        if (timing != null && applied.swapsOnly()) {
            timing.swapped(key);
        }
        serviceHealth.update(key, svc, serviceSlices);
        return applied.changes();
    }

    /**
     * Closes every listener, after a batch being applied; later flushes apply nothing. Established
     * connections carry on.
     */
    @Override
    public void close() {
        thread.interrupt();
        context.execute(() -> {
            running = false;
            programmer.closeAll();
        });
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
