package dev.junction.source.kube;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The source's client-side rate limit, kube-proxy's {@code --kube-api-qps} / {@code --kube-api-burst}: a token
 * bucket as client-go's (flowcontrol.NewTokenBucketRateLimiter) of {@code burst} tokens refilled at {@code qps}
 * per second, one taken per list. Only lists are counted: client-go does not rate-limit watches ("We specifically
 * don't want to rate limit watches", rest.Request.Watch), and a list's pages count as one list, because
 * kube-proxy's reflector lists from the watch cache (resourceVersion 0) in one request that the cache serves
 * whole, where Junction pages the same list. Shared by the source's watchers; thread-safe.
 */
final class ListRateLimiter {

    private final double tokensPerNano;
    private final int burst;
    private final LongSupplier nanoClock;
    private double tokens;
    private long refilledAtNanos;
    private long throttled;

    ListRateLimiter(double qps, int burst, LongSupplier nanoClock) {
        this.tokensPerNano = qps / TimeUnit.SECONDS.toNanos(1);
        this.burst = burst;
        this.nanoClock = nanoClock;
        this.tokens = burst;
        this.refilledAtNanos = nanoClock.getAsLong();
    }

    /**
     * Takes a token for one list and returns how long the caller must wait before starting it (0: at once). The
     * token is taken now, so callers that wait are served in the order they asked, as client-go's limiter does.
     */
    synchronized long reserveNanos() {
        long now = nanoClock.getAsLong();
        tokens = Math.min(burst, tokens + (now - refilledAtNanos) * tokensPerNano);
        refilledAtNanos = now;
        tokens -= 1;
        if (tokens >= 0) {
            return 0;
        }
        throttled++;
        return (long) Math.ceil(-tokens / tokensPerNano);
    }

    /** Lists so far that had to wait; read from any thread. */
    synchronized long throttled() {
        return throttled;
    }
}
