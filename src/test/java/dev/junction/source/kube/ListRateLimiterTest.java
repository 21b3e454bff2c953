package dev.junction.source.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** client-go's token bucket (flowcontrol.NewTokenBucketRateLimiter), as kube-proxy's --kube-api-qps/--kube-api-burst. */
class ListRateLimiterTest {

    private final AtomicLong now = new AtomicLong(1_000);

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    @Test
    void theBurstStartsAtOnceAndLaterListsWaitTheirTurnInOrder() {
        ListRateLimiter limiter = new ListRateLimiter(4, 2, now::get);
        assertEquals(0, limiter.reserveNanos());
        assertEquals(0, limiter.reserveNanos());
        assertEquals(250, millis(limiter.reserveNanos()));
        assertEquals(500, millis(limiter.reserveNanos()), "behind the one already waiting");
        assertEquals(2, limiter.throttled());
    }

    @Test
    void idleTimeRefillsTheBucketUpToTheBurstOnly() {
        ListRateLimiter limiter = new ListRateLimiter(4, 2, now::get);
        limiter.reserveNanos();
        limiter.reserveNanos();
        now.addAndGet(TimeUnit.SECONDS.toNanos(10));
        assertEquals(0, limiter.reserveNanos());
        assertEquals(0, limiter.reserveNanos());
        assertEquals(250, millis(limiter.reserveNanos()), "ten idle seconds bought two lists, not forty");
    }
}
