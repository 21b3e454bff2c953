package dev.junction.capture;

import dev.junction.model.Frontend;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --capture route}: every virtual address that is not already an address of this host gets a
 * {@code local} route in the {@code local} table, so the kernel delivers its packets to this host from
 * any interface (pod veths, the node itself, the outside) and the listener bound to {@code VIP:port}
 * takes them: no NAT, no conntrack. Listeners bind with IP_FREEBIND, so they may bind before the route
 * exists; claims and releases are counted per address and applied in one iproute2 batch per
 * {@link #flush}. The first flush reconciles: Junction routes ({@code proto 74}) left by an earlier run
 * that no Service needs any more are removed. Runs in the control context; {@link #close} after it.
 */
public final class RouteCapture implements Capture {

    private static final Logger log = LoggerFactory.getLogger(RouteCapture.class);

    private final IpRoutes routes;
    private final boolean keepRoutes;
    private final Supplier<Set<InetAddress>> interfaceAddresses;
    /** This host's interface addresses, read once per batch of claims (not once per claim: 10k Services). */
    private Set<InetAddress> local;
    /** Frontends per routed address; an address leaves when its count reaches zero. */
    private final Map<InetAddress, Integer> claims = new HashMap<>();
    /** What the kernel has, as far as this capture knows: read at start, updated by every flush. */
    private final Set<InetAddress> installed;
    private boolean reconciled;

    /** {@code interfaceAddresses}: this host's addresses, which need no route (NodePorts bind them). */
    RouteCapture(IpRoutes routes, boolean keepRoutes, Supplier<Set<InetAddress>> interfaceAddresses) {
        this.routes = routes;
        this.keepRoutes = keepRoutes;
        this.interfaceAddresses = interfaceAddresses;
        this.installed = new LinkedHashSet<>(routes.list());
    }

    /**
     * Route capture through the host's {@code ip}; warns once if kube-proxy's rules are present.
     *
     * @param keepRoutes leave the routes in place on {@link #close}, for a fast restart
     */
    public static RouteCapture create(boolean keepRoutes) {
        RouteCapture capture = new RouteCapture(new IpRoutes(List.of("ip")), keepRoutes,
                NodeAddresses::interfaceAddresses);
        KubeProxyRules.warnIfPresent();
        return capture;
    }

    @Override
    public boolean claim(Frontend frontend) {
        InetAddress address = frontend.address();
        // Node addresses (NodePorts) and loopback are delivered here already.
        if (!claims.containsKey(address)) {
            if (local == null) {
                local = interfaceAddresses.get();
            }
            if (address.isLoopbackAddress() || local.contains(address)) {
                return true;
            }
        }
        claims.merge(address, 1, Integer::sum);
        return true;
    }

    @Override
    public void release(Frontend frontend) {
        claims.computeIfPresent(frontend.address(), (a, n) -> n == 1 ? null : n - 1);
    }

    @Override
    public void flush() {
        List<InetAddress> add = new ArrayList<>();
        for (InetAddress a : claims.keySet()) {
            if (!installed.contains(a)) {
                add.add(a);
            }
        }
        List<InetAddress> remove = new ArrayList<>();
        for (InetAddress a : installed) {
            if (!claims.containsKey(a)) {
                remove.add(a);
            }
        }
        local = null;
        boolean first = !reconciled;
        reconciled = true;
        if (add.isEmpty() && remove.isEmpty()) {
            return;
        }
        long start = System.nanoTime();
        List<String> errors = routes.apply(add, remove);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        if (errors.isEmpty()) {
            installed.addAll(add);
            remove.forEach(installed::remove);
        } else {
            // Some lines failed: ask the kernel what it has rather than guess which.
            installed.clear();
            installed.addAll(routes.list());
            log.warn("route capture: {} of {} route changes failed, first: {}", errors.size(),
                    add.size() + remove.size(), errors.get(0));
        }
        if (first) {
            log.info("route capture: {} local routes added, {} left by an earlier run removed ({} ms)",
                    add.size(), remove.size(), millis);
        } else {
            log.debug("route capture: {} local routes added, {} removed ({} ms)", add.size(), remove.size(), millis);
        }
    }

    /** Addresses with a route now, as far as this capture knows; for tests and logs. */
    Set<InetAddress> installed() {
        return Set.copyOf(installed);
    }

    @Override
    public void close() {
        if (keepRoutes) {
            log.info("route capture: keeping {} local routes for the next start (--keep-routes)", installed.size());
            return;
        }
        List<String> errors = routes.apply(List.of(), installed);
        if (!errors.isEmpty()) {
            log.warn("route capture: {} local routes could not be removed, first: {}", errors.size(), errors.get(0));
        }
        installed.clear();
        claims.clear();
    }

    /** {@code junction cleanup}: removes every Junction route (IPv4 and IPv6); returns how many there were. */
    public static int cleanup() {
        return cleanup(new IpRoutes(List.of("ip")));
    }

    static int cleanup(IpRoutes routes) {
        Set<InetAddress> all = routes.list();
        List<String> errors = routes.apply(List.of(), all);
        if (!errors.isEmpty()) {
            throw new IllegalStateException(errors.size() + " Junction routes could not be removed, first: "
                    + errors.get(0));
        }
        return all.size();
    }
}
