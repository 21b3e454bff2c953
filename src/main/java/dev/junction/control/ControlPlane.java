package dev.junction.control;

import dev.junction.capture.Capture;
import dev.junction.dataplane.DataPlane;
import dev.junction.lb.ServiceBalancer;
import dev.junction.model.Frontend;
import dev.junction.model.LbPolicy;
import dev.junction.model.Protocol;
import dev.junction.model.ServicePortName;
import dev.junction.model.ServiceRoute;
import dev.junction.observe.LiveRoutes;
import dev.junction.observe.ServiceHealthChecks;
import dev.junction.observe.SyncHealth;
import dev.junction.source.ObjectSink;
import io.kubernetes.client.common.KubernetesObject;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1Taint;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane. Sources queue objects from any thread and then {@link #flush} them: the flushing
 * thread takes everything queued and applies it as one batch, holding a lock, so one thread at a time
 * touches the state below the queue. When another thread holds it, the flush returns at once and that
 * thread applies the queued objects next (it looks at the queue again after letting go), so changes
 * arriving from several sources while a batch is applied form the next batch. A batch records what
 * changed (trackers drop no-ops) and, once the sources have synced, rebuilds the routes of every
 * Service it touched and programs them. There is no fixed sync delay.
 *
 * <p>Why the source's own thread applies: it is running when the change arrives, while a control
 * thread would first have to be woken and scheduled. On a busy two-core node that wake-up alone took
 * 1-8 ms for about one change in a hundred at 1,000 changes per second (bench {@code KubeScaleBench}),
 * many times the work of applying the change. The {@code junction-control} thread only expires
 * ClientIP affinity entries and re-reads the node's NodePort addresses.
 */
public final class ControlPlane implements ObjectSink, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ControlPlane.class);
    private static final long AFFINITY_SWEEP_MILLIS = 10_000;

    /** Set by the cluster autoscaler on a node it is about to remove; kube-proxy then fails /healthz. */
    static final String TO_BE_DELETED_TAINT = "ToBeDeletedByClusterAutoscaler";

    /**
     * A change from a source, the end of its initial state (no object), or this node's NodePort addresses
     * as newly read (only {@code nodePortAddresses}); stamped when received.
     */
    private record Event(KubernetesObject object, boolean deleted, List<InetAddress> nodePortAddresses,
            long receivedNanos) {
        boolean isSynced() {
            return object == null && nodePortAddresses == null;
        }
    }

    /** Batches up to this many Services reuse the dirty set; larger ones leave a fresh one behind. */
    private static final int SMALL_BATCH = 64;

    /** Confines the state below to one thread at a time: the batch being applied, or the maintenance task. */
    private final ControlContext<Event> context = new ControlContext<>(this::applyBatch);
    private final ServiceTracker services = new ServiceTracker();
    private final EndpointSliceCache slices = new EndpointSliceCache();
    private final Programmer programmer;
    private final Capture capture;
    private final String nodeName;
    /** Where NodePorts listen; replaced when a re-read finds them changed. */
    private List<InetAddress> nodePortAddresses;
    /** Re-reads the NodePort addresses (see {@link #followNodePortAddresses}); null: they never change. */
    private Supplier<List<InetAddress>> nodePortAddressSource;
    /** What the last read found. */
    private volatile List<InetAddress> lastReadAddresses;
    private final LbPolicy defaultPolicy;
    private final Thread thread;
    // Not final: after a batch that touched many Services (the first sync) it is replaced, because
    // iterating and clearing a HashSet costs its capacity, not its size, and that would tax every later
    // single-change batch (seen in JFR as HashIterator.<init> on the control thread).
    // In arrival order, so in a burst the earliest changes go live first.
    private Set<ServiceKey> dirty = new LinkedHashSet<>();
    private final List<V1EndpointSlice> changedSlices = new ArrayList<>();
    /** What the current rebuild (or the batch's binds) found wrong; see {@link #reportNew}. */
    private final List<String> found = new ArrayList<>();
    private final Consumer<String> finding = found::add;
    /** The problems last reported per Service that has any. */
    private final Map<ServiceKey, Set<String>> reported = new HashMap<>();
    private final ControlPlaneMetrics metrics;
    private SyncHealth health = SyncHealth.NONE;
    private HealthCheckPorts healthChecks;
    private String zone;
    private boolean synced;
    private volatile boolean running = true;
    private volatile long appliedBatches;
    // Unlike appliedBatches it counts events handled before sync too, so a test can tell that the control
    // plane has seen them and still programmed nothing. Written only under the lock.
    private volatile long handledEvents;

    public ControlPlane(String nodeName, List<InetAddress> nodePortAddresses, LbPolicy defaultPolicy,
            Map<Protocol, DataPlane> planes, Capture capture, Function<ServicePortName, ServiceBalancer> balancers) {
        this(nodeName, nodePortAddresses, defaultPolicy, planes, capture, balancers, new SimpleMeterRegistry());
    }

    /** A control plane that records its metrics (sync duration, network programming latency, ...) in {@code meters}. */
    public ControlPlane(String nodeName, List<InetAddress> nodePortAddresses, LbPolicy defaultPolicy,
            Map<Protocol, DataPlane> planes, Capture capture, Function<ServicePortName, ServiceBalancer> balancers,
            MeterRegistry meters) {
        this.metrics = new ControlPlaneMetrics(meters);
        this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
        this.nodePortAddresses = List.copyOf(nodePortAddresses);
        this.lastReadAddresses = this.nodePortAddresses;
        this.defaultPolicy = defaultPolicy;
        this.capture = capture;
        this.programmer = new Programmer(context, planes, capture, balancers, finding);
        this.thread = new Thread(this::run, "junction-control");
        this.thread.setDaemon(true);
        this.healthChecks = new HealthCheckPorts(ServiceHealthChecks.NONE, this.nodeName);
    }

    public ControlPlane(String nodeName, LbPolicy defaultPolicy, Map<Protocol, DataPlane> planes, Capture capture) {
        this(nodeName, List.of(), defaultPolicy, planes, capture, ServiceBalancer::create);
    }

    /**
     * Starts the thread that expires ClientIP affinity entries and re-reads NodePort addresses; changes are
     * applied by {@link #flush}.
     */
    public void start() {
        thread.start();
    }

    /**
     * Reports queue and node health to {@code health} and health-check ports to {@code checks}; call before
     * {@link #start}.
     */
    public void observe(SyncHealth health, ServiceHealthChecks checks) {
        this.health = Objects.requireNonNull(health, "health");
        this.healthChecks = new HealthCheckPorts(checks, nodeName);
    }

    /**
     * Re-reads the NodePort addresses from {@code addresses} every 10 s (with the affinity sweep), so an
     * address that appears on the node gets its NodePort listeners and one that goes away loses them; call
     * before {@link #start}.
     */
    public void followNodePortAddresses(Supplier<List<InetAddress>> addresses) {
        this.nodePortAddressSource = Objects.requireNonNull(addresses, "addresses");
    }

    /**
     * Reads the NodePort addresses now and, if they changed, applies the change (rebinding every Service's
     * NodePorts) before returning, unless another thread is applying: then that thread does, next.
     */
    void refreshNodePortAddresses() {
        if (nodePortAddressSource == null) {
            return;
        }
        List<InetAddress> now;
        try {
            now = List.copyOf(nodePortAddressSource.get());
        } catch (RuntimeException e) {
            log.warn("cannot read this node's addresses, NodePorts stay where they are: {}", e.getMessage());
            return;
        }
        // As sets: the order interfaces are listed in is no change.
        if (Set.copyOf(now).equals(Set.copyOf(lastReadAddresses))) {
            return;
        }
        lastReadAddresses = now;
        context.enqueue(new Event(null, false, now, System.nanoTime()));
        health.queued();
        flush();
    }

    /** What is programmed now, for the admin server and metrics; callable from any thread. */
    public LiveRoutes liveRoutes() {
        return programmer.liveRoutes();
    }

    @Override
    public void upsert(KubernetesObject object) {
        context.enqueue(new Event(Objects.requireNonNull(object, "object"), false, null, System.nanoTime()));
        health.queued();
    }

    @Override
    public void delete(KubernetesObject object) {
        context.enqueue(new Event(Objects.requireNonNull(object, "object"), true, null, System.nanoTime()));
        health.queued();
    }

    @Override
    public void synced() {
        context.enqueue(new Event(null, false, null, System.nanoTime()));
        health.queued();
    }

    /**
     * Applies everything queued as one batch on the calling thread, unless another thread is applying:
     * then that thread applies it once it is done, and this returns at once. After {@link #close}
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

    /** Events taken off the queue and handled, before sync as well as after; for tests. */
    long handledEvents() {
        return handledEvents;
    }

    /**
     * The {@code junction-control} thread: expires idle ClientIP affinity entries and re-reads the NodePort
     * addresses, every 10 s until closed.
     */
    private void run() {
        while (running) {
            try {
                Thread.sleep(AFFINITY_SWEEP_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            context.execute(() -> {
                if (running) {
                    programmer.expireAffinity();
                }
            });
            refreshNodePortAddresses();
        }
    }

    private void applyBatch(List<Event> batch) {
        try {
            if (running) {
                applyChanges(batch);
            }
        } finally {
            handledEvents += batch.size();
        }
    }

    private void applyChanges(List<Event> batch) {
        long start = System.nanoTime();
        boolean justSynced = false;
        // The Services each event changed, in batch order: an event is live once all of them are.
        List<Set<ServiceKey>> changedBy = new ArrayList<>(batch.size());
        for (Event e : batch) {
            if (e.isSynced()) {
                justSynced |= !synced;
                synced = true;
                changedBy.add(Set.of());
            } else {
                changedBy.add(record(e));
            }
        }
        if (!synced) {
            changedSlices.clear();
            return;
        }
        if (justSynced) {
            dirty.addAll(services.keys());
        }
        int changes = 0;
        // Shared by every Service of the batch rather than made again for each.
        NodeInfo node = node();
        // When each Service's new tables were swapped in; absent when it opened or closed a frontend,
        // which is live only after the flush below.
        Map<ServiceKey, Long> swappedAt = justSynced ? Map.of() : new HashMap<>();
        for (ServiceKey key : dirty) {
            changes += applyService(key, node, justSynced ? null : swappedAt);
        }
        // A frontend one Service released may be wanted by another that was refused it: theirs now.
        for (Set<ServiceKey> again = programmer.takeUnblocked(); !again.isEmpty(); again = programmer.takeUnblocked()) {
            for (ServiceKey key : again) {
                changes += applyService(key, node, justSynced ? null : swappedAt);
            }
        }
        programmer.flush();
        // Binds that failed: reported as they happen, they belong to no one rebuild.
        found.forEach(log::warn);
        found.clear();
        // Listeners are open (IP_FREEBIND lets them bind first); now their routes, all in one batch.
        capture.flush();
        if (justSynced) {
            log.info("sources synced: {} services, {} frontends listening", services.keys().size(),
                    programmer.listening());
        }
        long live = System.nanoTime();
        metrics.syncDuration.record(live - start, TimeUnit.NANOSECONDS);
        // Changes queued before the first sync waited for the other lists, not for the control plane.
        if (!justSynced) {
            for (int i = 0; i < batch.size(); i++) {
                Event e = batch.get(i);
                metrics.eventToLive.record(liveAt(changedBy.get(i), swappedAt, live) - e.receivedNanos(),
                        TimeUnit.NANOSECONDS);
            }
            // Microseconds, not the millisecond clock: the trigger time is RFC 3339 with nanoseconds, and
            // most changes go live in well under a millisecond.
            Instant liveAt = Instant.now();
            for (V1EndpointSlice slice : changedSlices) {
                metrics.programmed(slice, liveAt);
            }
        }
        log.debug("applied {} events for {} services: {} frontend changes", batch.size(), dirty.size(), changes);
        if (dirty.size() > SMALL_BATCH) {
            dirty = new LinkedHashSet<>();
        } else {
            dirty.clear();
        }
        changedSlices.clear();
        appliedBatches++;
        health.applied();
        if (context.hasQueued()) {
            // Queued while this batch was applied: pending, and this thread's to apply next.
            health.queued();
        }
    }

    /**
     * Rebuilds and programs one Service; records in {@code swappedAt} (when given) the moment its tables
     * were swapped in, if that was all it took. Returns how many frontends changed.
     */
    private int applyService(ServiceKey key, NodeInfo node, Map<ServiceKey, Long> swappedAt) {
        // Left over only when a rebuild threw; that one was reported with the exception.
        found.clear();
        long openedOrClosed = programmer.openedOrClosed();
        V1Service svc = services.get(key);
        Collection<CachedSlice> serviceSlices = svc == null ? List.of() : slices.slices(key);
        Map<Frontend, ServiceRoute> built = svc == null
                ? Map.of()
                : RouteBuilder.build(svc, serviceSlices, node, defaultPolicy, finding);
        int changes = programmer.apply(key, built);
        reportNew(key);
        if (swappedAt != null && programmer.openedOrClosed() == openedOrClosed) {
            swappedAt.put(key, System.nanoTime());
        }
        healthChecks.update(key, svc, serviceSlices);
        return changes;
    }

    /**
     * Logs the problems the last rebuild of {@code key} found (route building, or programming: a frontend
     * another Service holds) that its previous rebuild did not: a Service with an SCTP port or a slice with
     * a bad address would otherwise log the same line on every change to its endpoints. A problem that goes
     * away and comes back is reported again.
     */
    private void reportNew(ServiceKey key) {
        if (found.isEmpty()) {
            if (!reported.isEmpty()) {
                reported.remove(key);
            }
            return;
        }
        Set<String> before = reported.getOrDefault(key, Set.of());
        for (String problem : found) {
            if (!before.contains(problem)) {
                log.warn(problem);
            }
        }
        reported.put(key, Set.copyOf(found));
        found.clear();
    }

    /**
     * When an event was live: when the last Service it changed had its tables swapped in, or {@code flushed}
     * when one of them opened or closed a frontend, or when the event changed no Service on its own (a Node
     * change that re-rendered every Service, a no-op re-delivery).
     */
    private static long liveAt(Set<ServiceKey> changed, Map<ServiceKey, Long> swappedAt, long flushed) {
        if (changed.isEmpty()) {
            return flushed;
        }
        long live = Long.MIN_VALUE;
        for (ServiceKey key : changed) {
            Long at = swappedAt.get(key);
            if (at == null) {
                return flushed;
            }
            live = Math.max(live, at);
        }
        return live;
    }

    /** Records one event; returns the Services whose routes it changed (empty for a Node). */
    private Set<ServiceKey> record(Event e) {
        KubernetesObject o = e.object();
        if (o instanceof V1Service svc) {
            ServiceKey key = ServiceKey.of(svc.getMetadata());
            if (e.deleted() ? services.delete(key) : services.upsert(svc)) {
                dirty.add(key);
                metrics.serviceChanges.increment();
                return Set.of(key);
            }
        } else if (o instanceof V1EndpointSlice slice) {
            Set<ServiceKey> touched = e.deleted() ? slices.delete(slice) : slices.upsert(slice);
            if (!touched.isEmpty()) {
                dirty.addAll(touched);
                metrics.endpointChanges.increment();
                if (!e.deleted()) {
                    changedSlices.add(slice);
                }
            }
            return touched;
        } else if (o instanceof V1Node node) {
            recordNode(node, e.deleted());
        } else if (e.nodePortAddresses() != null
                && !Set.copyOf(e.nodePortAddresses()).equals(Set.copyOf(nodePortAddresses))) {
            log.info("NodePort addresses now {} (were {})", names(e.nodePortAddresses()), names(nodePortAddresses));
            nodePortAddresses = e.nodePortAddresses();
            dirty.addAll(services.keys());
        }
        return Set.of();
    }

    /** Only this node matters: its zone decides PreferSameZone hints for every Service. */
    private void recordNode(V1Node node, boolean deleted) {
        if (node.getMetadata() == null || !nodeName.equals(node.getMetadata().getName())) {
            return;
        }
        health.nodeEligible(!deleted && eligible(node));
        String newZone = NodeInfo.of(nodeName, deleted ? null : node, nodePortAddresses).zone();
        if (!Objects.equals(zone, newZone)) {
            zone = newZone;
            dirty.addAll(services.keys());
        }
    }

    /** kube-proxy's node eligibility: not being deleted, not tainted for removal by the autoscaler. */
    static boolean eligible(V1Node node) {
        if (node.getMetadata().getDeletionTimestamp() != null) {
            return false;
        }
        List<V1Taint> taints = node.getSpec() == null ? null : node.getSpec().getTaints();
        return taints == null || taints.stream().noneMatch(t -> TO_BE_DELETED_TAINT.equals(t.getKey()));
    }

    private static List<String> names(List<InetAddress> addresses) {
        return addresses.stream().map(InetAddress::getHostAddress).toList();
    }

    private NodeInfo node() {
        return new NodeInfo(nodeName, zone, nodePortAddresses);
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
