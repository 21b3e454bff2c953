package dev.junction.dataplane.tcp;

import java.time.Duration;

/**
 * Per-connection behaviour of the TCP data plane: connect timeout per attempt, how many endpoints a
 * connection may try, and how long a connection may sit idle in both directions (zero: forever).
 */
public record TcpOptions(Duration connectTimeout, int maxConnectAttempts, Duration idleTimeout) {

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
    }
}
