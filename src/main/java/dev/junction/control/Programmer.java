package dev.junction.control;

import dev.junction.capture.Capture;
import dev.junction.dataplane.DataPlane;
import dev.junction.dataplane.FrontendHandle;
import dev.junction.lb.EndpointState;
import dev.junction.lb.EndpointTable;
import dev.junction.lb.ServiceBalancer;
import dev.junction.lb.ServiceCounters;
import dev.junction.model.Frontend;
import dev.junction.model.Protocol;
import dev.junction.model.ServicePortName;
import dev.junction.model.ServiceRoute;
import dev.junction.observe.LiveRoutes;
import dev.junction.observe.LiveRoutes.ServicePortStats;
import dev.junction.observe.LiveRoutes.FrontendStatus;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Turns one Service's desired routes into listeners: opens frontends that are new (all of a batch at once,
 * in {@link #flush}), swaps the table of those whose route changed (one volatile write each), closes those
 * that went away, and leaves identical ones alone. Owns the long-lived {@link ServiceBalancer} of every service port.
 * Called only in the control context, except {@link #liveRoutes}, read from any thread.
 */
final class Programmer {

    private final ControlContext<?> context;
    private final Map<Protocol, DataPlane> planes;
    private final Capture capture;
    private final Function<ServicePortName, ServiceBalancer> newBalancer;

    private final Map<ServiceKey, Map<Frontend, ServiceRoute>> desired = new HashMap<>();
    // Concurrent only so the admin server can read what is live; every write stays in the control context.
    private final Map<Frontend, Programmed> programmed = new ConcurrentHashMap<>();
    private final Map<ServicePortName, ServiceBalancer> balancers = new HashMap<>();
    private final List<PendingOpen> pending = new ArrayList<>();
    /** Frontends whose bind failed (another process holds the port, most likely), to bind again. */
    private final Set<Frontend> bindFailed = new LinkedHashSet<>();
    /** Whether {@link #bindFailed} has any; read from any thread. */
    private volatile boolean anyBindFailed;
    /** Services refused a frontend because another Service held it, by frontend; retried when it is released. */
    private final Map<Frontend, Set<ServiceKey>> refused = new HashMap<>();
    private final Set<ServiceKey> unblocked = new LinkedHashSet<>();

    Programmer(ControlContext<?> context, Map<Protocol, DataPlane> planes, Capture capture,
            Function<ServicePortName, ServiceBalancer> newBalancer) {
        this.context = context;
        this.planes = Map.copyOf(planes);
        this.capture = capture;
        this.newBalancer = newBalancer;
    }

    /**
     * A frontend as programmed: its owner, the route it serves, and its listener (null while waiting for
     * {@link #flush} or when it failed to bind).
     */
    private record Programmed(ServiceKey owner, ServiceRoute route, FrontendHandle handle) {
    }

    /** A new frontend waiting for {@link #flush}; {@code placeholder} is its entry in {@code programmed}. */
    private record PendingOpen(Frontend frontend, EndpointTable table, Programmed placeholder) {
    }

    /**
     * What one {@link #apply} did to a Service's frontends: queued to open (bound by {@link #flush}), given a
     * new table, closed.
     */
    record Applied(int opened, int updated, int closed) {

        int changes() {
            return opened + updated + closed;
        }

        /**
         * Whether all it did was swap tables into listeners already bound, which is live at once; an open or
         * a close is live only after {@link #flush} and the capture's routes.
         */
        boolean swapsOnly() {
            return opened == 0 && closed == 0;
        }
    }

    /** Counts one apply's frontend changes. */
    private static final class Tally {
        int opened;
        int updated;
        int closed;
    }

    /**
     * Programs {@code service}'s routes (empty: the Service is gone or skipped); a frontend another Service
     * holds is refused and told to {@code problems}.
     */
    Applied apply(ServiceKey service, Map<Frontend, ServiceRoute> routes, Consumer<String> problems) {
        context.throwIfNotInThisContext();
        Map<Frontend, ServiceRoute> before = desired.getOrDefault(service, Map.of());
        if (routes.isEmpty()) {
            desired.remove(service);
        } else {
            desired.put(service, routes);
        }
        Tally tally = new Tally();
        for (Frontend f : before.keySet()) {
            if (!routes.containsKey(f) && owns(service, f)) {
                close(f);
                tally.closed++;
            }
        }
        Map<ServicePortName, List<Map.Entry<Frontend, ServiceRoute>>> byPort = new LinkedHashMap<>();
        for (Map.Entry<Frontend, ServiceRoute> e : routes.entrySet()) {
            byPort.computeIfAbsent(e.getValue().service(), k -> new ArrayList<>()).add(e);
        }
        // Walked route by route (no stream of distinct ports per apply): the first route of a port that went
        // away closes its balancer, the others find none left.
        for (ServiceRoute r : before.values()) {
            if (!byPort.containsKey(r.service())) {
                ServiceBalancer gone = balancers.remove(r.service());
                if (gone != null) {
                    gone.close();
                }
            }
        }
        for (Map.Entry<ServicePortName, List<Map.Entry<Frontend, ServiceRoute>>> e : byPort.entrySet()) {
            program(service, e.getKey(), e.getValue(), tally, problems);
        }
        return new Applied(tally.opened, tally.updated, tally.closed);
    }

    private void program(ServiceKey service, ServicePortName port, List<Map.Entry<Frontend, ServiceRoute>> routes,
            Tally tally, Consumer<String> problems) {
        List<ServiceRoute> all = new ArrayList<>(routes.size());
        boolean changed = false;
        for (Map.Entry<Frontend, ServiceRoute> e : routes) {
            all.add(e.getValue());
            Programmed p = programmed.get(e.getKey());
            changed |= p == null || p.handle == null || !p.route.equals(e.getValue());
        }
        if (!changed) {
            return;
        }
        // The balancer sees every route of the port at once, so it retires only endpoints none of them uses.
        List<EndpointTable> tables = balancers.computeIfAbsent(port, newBalancer).tables(all);
        for (int i = 0; i < routes.size(); i++) {
            Frontend f = routes.get(i).getKey();
            ServiceRoute route = routes.get(i).getValue();
            Programmed p = programmed.get(f);
            if (p != null && !p.owner.equals(service)) {
                problems.accept(service + ": frontend " + f + " is already used by " + p.owner + "; ignoring it");
                refused.computeIfAbsent(f, k -> new LinkedHashSet<>()).add(service);
                continue;
            }
            if (p != null && p.handle != null) {
                if (!p.route.equals(route)) {
                    p.handle.update(tables.get(i));
                    programmed.put(f, new Programmed(service, route, p.handle));
                    tally.updated++;
                }
                continue;
            }
            // Owned from now on (a second Service claiming it is refused); bound by flush().
            Programmed placeholder = new Programmed(service, route, null);
            programmed.put(f, placeholder);
            pending.add(new PendingOpen(f, tables.get(i), placeholder));
            tally.opened++;
        }
    }

    /**
     * Opens the frontends that {@link #apply} calls since the last flush added, all binds of a protocol
     * at once (the first sync of 10,000 Services would otherwise wait for 10,000 binds in turn). The
     * control plane calls it once after applying a batch; until then a new frontend has no listener. Returns
     * the frontends that could not be opened, as problems to log.
     */
    List<String> flush() {
        context.throwIfNotInThisContext();
        if (pending.isEmpty()) {
            return List.of();
        }
        List<String> problems = new ArrayList<>();
        Map<Protocol, List<PendingOpen>> byProtocol = new LinkedHashMap<>();
        for (PendingOpen o : pending) {
            Frontend f = o.frontend();
            if (programmed.get(f) != o.placeholder()) {
                continue;
            }
            if (!planes.containsKey(f.protocol())) {
                problems.add(o.placeholder().owner() + ": " + f + ": " + f.protocol()
                        + " is not served by this data plane");
            } else if (capture.claim(f)) {
                byProtocol.computeIfAbsent(f.protocol(), k -> new ArrayList<>()).add(o);
            }
        }
        pending.clear();
        for (Map.Entry<Protocol, List<PendingOpen>> e : byProtocol.entrySet()) {
            List<PendingOpen> opens = e.getValue();
            List<DataPlane.Opened> opened = planes.get(e.getKey()).openAll(
                    opens.stream().map(PendingOpen::frontend).toList(),
                    opens.stream().map(PendingOpen::table).toList());
            for (int i = 0; i < opens.size(); i++) {
                PendingOpen o = opens.get(i);
                DataPlane.Opened result = opened.get(i);
                if (result.handle() != null) {
                    programmed.put(o.frontend(), new Programmed(o.placeholder().owner(), o.placeholder().route(),
                            result.handle()));
                    bindFailed.remove(o.frontend());
                } else {
                    capture.release(o.frontend());
                    bindFailed.add(o.frontend());
                    problems.add(o.placeholder().owner() + ": " + result.failure().getMessage());
                }
            }
        }
        anyBindFailed = !bindFailed.isEmpty();
        return problems;
    }

    /** Whether some frontend failed to bind and is still wanted; from any thread. */
    boolean anyBindFailed() {
        return anyBindFailed;
    }

    /**
     * The Services owning a frontend whose bind failed, to apply again: their frontends then bind at the next
     * {@link #flush}. Runs in the control context.
     */
    Set<ServiceKey> bindFailedServices() {
        context.throwIfNotInThisContext();
        Set<ServiceKey> services = new LinkedHashSet<>();
        for (Frontend f : bindFailed) {
            Programmed p = programmed.get(f);
            if (p != null && p.handle == null) {
                services.add(p.owner);
            }
        }
        return services;
    }

    private void close(Frontend f) {
        Programmed p = forget(f);
        if (p != null && p.handle != null) {
            p.handle.close();
            capture.release(f);
        }
    }

    /** Drops {@code f} from the books, releasing the Services refused it; what was programmed for it, if anything. */
    private Programmed forget(Frontend f) {
        bindFailed.remove(f);
        anyBindFailed = !bindFailed.isEmpty();
        Set<ServiceKey> waiting = refused.remove(f);
        if (waiting != null) {
            unblocked.addAll(waiting);
        }
        return programmed.remove(f);
    }

    private boolean owns(ServiceKey service, Frontend f) {
        Programmed p = programmed.get(f);
        return p != null && p.owner.equals(service);
    }

    /**
     * The Services refused a frontend that has been released since, which must be applied again (and may
     * now get it); empties the set.
     */
    Set<ServiceKey> takeUnblocked() {
        if (unblocked.isEmpty()) {
            return Set.of();
        }
        Set<ServiceKey> taken = new LinkedHashSet<>(unblocked);
        unblocked.clear();
        return taken;
    }

    /** Frontends with a bound listener, for logs and tests. */
    int listening() {
        return (int) programmed.values().stream().filter(p -> p.handle != null).count();
    }

    /** Expires idle ClientIP affinity entries of every service port. */
    void expireAffinity() {
        context.throwIfNotInThisContext();
        for (Map<Frontend, ServiceRoute> routes : desired.values()) {
            for (ServiceRoute r : routes.values()) {
                if (r.affinity()) {
                    ServiceBalancer b = balancers.get(r.service());
                    if (b != null) {
                        b.expireAffinity(r.affinityTimeout().toNanos());
                    }
                }
            }
        }
    }

    /** The live table for the admin server and the metrics scrape; callable from any thread. */
    LiveRoutes liveRoutes() {
        return new LiveRoutes() {
            @Override
            public List<FrontendStatus> frontends() {
                List<FrontendStatus> out = new ArrayList<>(programmed.size());
                programmed.forEach((f, p) -> out.add(status(f, p)));
                out.sort(Comparator.comparing((FrontendStatus s) -> s.route().service().toString())
                        .thenComparing(s -> s.frontend().toString()));
                return out;
            }

            @Override
            public List<ServicePortStats> servicePorts() {
                Map<ServicePortName, ServiceCounters> ports = new LinkedHashMap<>();
                for (Programmed p : programmed.values()) {
                    if (p.handle != null) {
                        ports.putIfAbsent(p.route.service(), p.handle.table().counters());
                    }
                }
                List<ServicePortStats> out = new ArrayList<>(ports.size());
                ports.forEach((port, c) -> out.add(new ServicePortStats(port, c.acceptedCount(), c.activeCount(),
                        c.failedCount(), c.retriedCount(), c.bytesToEndpoints.sum(), c.bytesToClients.sum(),
                        c.ejectionCount())));
                return out;
            }
        };
    }

    private static LiveRoutes.FrontendStatus status(Frontend f, Programmed p) {
        List<LiveRoutes.EndpointStatus> endpoints = new ArrayList<>();
        if (p.handle == null) {
            p.route.endpoints().forEach(e -> endpoints.add(new LiveRoutes.EndpointStatus(e, 0, 0, false)));
        } else {
            EndpointTable table = p.handle.table();
            long now = table.nanoTime();
            for (int i = 0; i < table.size(); i++) {
                EndpointState s = table.state(i);
                endpoints.add(new LiveRoutes.EndpointStatus(s.endpoint(), s.active(), s.connections(), s.ejected(now)));
            }
        }
        return new LiveRoutes.FrontendStatus(f, p.route, p.handle != null, endpoints);
    }

    /** Closes every listener; established connections carry on. */
    /** Waits for {@code future}, through interrupts (the control plane's close interrupts its own thread). */
    private static void awaitUninterruptibly(Future<?> future) {
        boolean interrupted = false;
        while (true) {
            try {
                future.get();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (ExecutionException e) {
                break;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    void closeAll() {
        context.throwIfNotInThisContext();
        // Begun together, awaited once: one after another, 10,000 io_uring listeners took ~26 s to close
        // (each waits for its accept's cancellation), accepting all the while.
        Map<Frontend, Future<?>> closing = new LinkedHashMap<>();
        for (Frontend f : new ArrayList<>(programmed.keySet())) {
            Programmed p = forget(f);
            if (p != null && p.handle != null) {
                closing.put(f, p.handle.startClosing());
            }
        }
        closing.values().forEach(Programmer::awaitUninterruptibly);
        closing.keySet().forEach(capture::release);
        balancers.values().forEach(ServiceBalancer::close);
        balancers.clear();
        desired.clear();
    }
}
