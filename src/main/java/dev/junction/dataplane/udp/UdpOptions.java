package dev.junction.dataplane.udp;

import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Session behaviour of the UDP data plane: how long a session may sit idle in both directions before it is
 * reaped, how many sessions all frontends together may hold (new clients are refused beyond that), how often the
 * reaper looks, the clock idleness is measured with (injectable for tests), and whether frontends bind
 * with IP_FREEBIND (route capture: the VIP's route may not exist yet; io_uring or epoll, not NIO).
 */
public record UdpOptions(Duration idleTimeout, int maxSessions, Duration reapInterval, LongSupplier nanoClock,
        boolean freeBind) {

    public UdpOptions {
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("idle timeout must be positive");
        }
        if (maxSessions < 1) {
            throw new IllegalArgumentException("maxSessions must be >= 1");
        }
        if (reapInterval.isNegative() || reapInterval.isZero()) {
            throw new IllegalArgumentException("reap interval must be positive");
        }
        Objects.requireNonNull(nanoClock, "nanoClock");
    }

    /**
     * Production defaults: {@link System#nanoTime}, and a reaper that looks four times per idle timeout
     * (between every 100 ms and every 5 s), so a session outlives its timeout by a quarter at most.
     */
    public static UdpOptions of(Duration idleTimeout, int maxSessions, boolean freeBind) {
        long quarter = idleTimeout.toMillis() / 4;
        Duration reap = Duration.ofMillis(Math.max(100, Math.min(5_000, quarter)));
        return new UdpOptions(idleTimeout, maxSessions, reap, System::nanoTime, freeBind);
    }
}
