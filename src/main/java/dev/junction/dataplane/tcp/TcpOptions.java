package dev.junction.dataplane.tcp;

import java.time.Duration;

/**
 * Per-connection behaviour of the TCP data plane: connect timeout per attempt, how many endpoints a
 * connection may try, how long a connection may sit idle in both directions (zero: forever), how long it
 * may sit idle once one side has sent its FIN and the other has not (zero: as long as the idle timeout),
 * and whether listeners bind with IP_FREEBIND (route capture: the VIP's route may not exist yet; io_uring
 * or epoll, not NIO).
 */
public record TcpOptions(Duration connectTimeout, int maxConnectAttempts, Duration idleTimeout,
        Duration halfCloseTimeout, boolean freeBind) {

    /** Options for listeners on addresses that are already local, without a half-close timeout of their own. */
    public TcpOptions(Duration connectTimeout, int maxConnectAttempts, Duration idleTimeout) {
        this(connectTimeout, maxConnectAttempts, idleTimeout, Duration.ZERO, false);
    }

    public TcpOptions {
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connect timeout must be positive");
        }
        if (maxConnectAttempts < 1) {
            throw new IllegalArgumentException("maxConnectAttempts must be >= 1");
        }
        if (idleTimeout.isNegative()) {
            throw new IllegalArgumentException("idle timeout must not be negative");
        }
        if (halfCloseTimeout.isNegative()) {
            throw new IllegalArgumentException("half-close timeout must not be negative");
        }
    }
}
