package dev.junction.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import dev.junction.testing.Warnings;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class RateLimitedLogTest {

    @Test
    void firstOccurrenceIsLoggedAndTheRestOfTheIntervalOnlyCounted() {
        try (Warnings warnings = new Warnings(RateLimitedLogTest.class)) {
            logsOncePerInterval();
            assertEquals(List.of("accept failed: EMFILE", "accept failed: EMFILE (1001 more since the last such line)"),
                    warnings.lines);
        }
    }

    private static void logsOncePerInterval() {
        AtomicLong now = new AtomicLong(1_000);
        RateLimitedLog log = new RateLimitedLog(LoggerFactory.getLogger(RateLimitedLogTest.class),
                Duration.ofSeconds(1), now::get);

        assertTrue(log.warn("accept failed: {}", "EMFILE"));
        for (int i = 0; i < 1_000; i++) {
            assertFalse(log.warn("accept failed: {}", "EMFILE"));
        }
        now.addAndGet(Duration.ofMillis(999).toNanos());
        assertFalse(log.warn("accept failed: {}", "EMFILE"));
        now.addAndGet(Duration.ofMillis(1).toNanos());
        assertTrue(log.warn("accept failed: {}", "EMFILE"), "a line again once the interval has passed");
        assertFalse(log.warn("accept failed: {}", "EMFILE"));
    }

    @Test
    void onlyOneOfManyThreadsLogsPerInterval() throws InterruptedException {
        AtomicLong now = new AtomicLong(0);
        RateLimitedLog log = new RateLimitedLog(LoggerFactory.getLogger(RateLimitedLogTest.class),
                Duration.ofSeconds(1), now::get);
        AtomicLong logged = new AtomicLong();
        List<Thread> threads = java.util.stream.IntStream.range(0, 4).mapToObj(i -> new Thread(() -> {
            for (int n = 0; n < 10_000; n++) {
                if (log.warn("flood")) {
                    logged.incrementAndGet();
                }
            }
        })).toList();
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(1, logged.get());
    }
}
