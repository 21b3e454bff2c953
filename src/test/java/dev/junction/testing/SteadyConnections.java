package dev.junction.testing;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * New connections to a Service back to back on one thread (connect, read the backend's name line, close), until
 * {@link #close} or a bound in count and time; counts the answers by backend and keeps every failure. Thread-safe.
 */
public final class SteadyConnections implements AutoCloseable {

    private static final int MAX_CONNECTIONS = 50_000;
    private static final long MAX_SECONDS = 60;

    private final Map<String, AtomicInteger> served = new ConcurrentHashMap<>();
    private final List<String> failures = new ArrayList<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Thread thread;

    public SteadyConnections(InetSocketAddress service) {
        thread = new Thread(() -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(MAX_SECONDS);
            for (int i = 0; i < MAX_CONNECTIONS && !stop.get() && System.nanoTime() < deadline; i++) {
                try {
                    served.computeIfAbsent(Clients.backendName(service), k -> new AtomicInteger()).incrementAndGet();
                } catch (RuntimeException e) {
                    synchronized (failures) {
                        failures.add(String.valueOf(e.getCause()));
                    }
                }
            }
        }, "steady-connections");
        thread.start();
    }

    /** Connections answered by {@code backend} so far. */
    public int served(String backend) {
        AtomicInteger n = served.get(backend);
        return n == null ? 0 : n.get();
    }

    /** Connections answered by any backend so far. */
    public int served() {
        return served.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    /** Waits until {@code backend} has answered at least {@code n} connections. */
    public void awaitServed(String backend, int n) {
        Conditions.await(backend + " serves " + n + " connections", java.time.Duration.ofSeconds(20),
                () -> served(backend) >= n);
    }

    /** Stops, and returns the failures: refused, reset or timed out connections. */
    public List<String> stop() throws InterruptedException {
        stop.set(true);
        thread.join(10_000);
        synchronized (failures) {
            return List.copyOf(failures);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
