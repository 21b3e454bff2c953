package dev.junction.source.kube;

import java.util.Objects;

/**
 * How the API source talks to the API server, as kube-proxy's clientConnection configures it.
 *
 * @param contentType what it asks for (JSON is the fallback of protobuf)
 * @param qps         lists started per second, on average, once the burst is spent
 * @param burst       lists that may start at once
 */
public record ClientSettings(ApiContentType contentType, double qps, int burst) {

    /** kube-proxy's defaults: protobuf, 5 requests per second, bursts of 10. */
    public static final ApiContentType DEFAULT_CONTENT_TYPE = ApiContentType.PROTOBUF;
    public static final double DEFAULT_QPS = 5;
    public static final int DEFAULT_BURST = 10;

    public ClientSettings {
        Objects.requireNonNull(contentType, "contentType");
        if (!(qps > 0) || Double.isInfinite(qps)) {
            throw new IllegalArgumentException("qps must be positive, got " + qps);
        }
        if (burst < 1) {
            throw new IllegalArgumentException("burst must be at least 1, got " + burst);
        }
    }

    public static ClientSettings defaults() {
        return new ClientSettings(DEFAULT_CONTENT_TYPE, DEFAULT_QPS, DEFAULT_BURST);
    }

    public ClientSettings withContentType(ApiContentType type) {
        return new ClientSettings(type, qps, burst);
    }
}
