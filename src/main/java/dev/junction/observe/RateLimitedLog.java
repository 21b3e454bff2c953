package dev.junction.observe;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.helpers.MessageFormatter;

/**
 * One warning line per interval for a condition that can repeat thousands of times a second (a descriptor
 * limit, a flood): the first occurrence is logged at once, the ones after it within the interval are only
 * counted, and the next line says how many there were. Never a stack trace: the caller passes the cause's
 * text. Thread-safe and lock-free; a call that is not logged costs two atomic operations.
 */
public final class RateLimitedLog {

    private final Logger log;
    private final long intervalNanos;
    private final LongSupplier nanoClock;
    private final AtomicLong suppressed = new AtomicLong();
    private final AtomicLong nextLineNanos;

    public RateLimitedLog(Logger log, Duration interval) {
        this(log, interval, System::nanoTime);
    }

    RateLimitedLog(Logger log, Duration interval, LongSupplier nanoClock) {
        this.log = log;
        this.intervalNanos = interval.toNanos();
        this.nanoClock = nanoClock;
        this.nextLineNanos = new AtomicLong(nanoClock.getAsLong());
    }

    /**
     * Logs {@code message} (an SLF4J pattern with {@code args}) at WARN if no line was logged within the
     * interval, appending how many occurrences were not logged since the last line; else counts it.
     *
     * @return whether this call logged
     */
    public boolean warn(String message, Object... args) {
        long now = nanoClock.getAsLong();
        long next = nextLineNanos.get();
        if (now - next < 0 || !nextLineNanos.compareAndSet(next, now + intervalNanos)) {
            suppressed.incrementAndGet();
            return false;
        }
        long more = suppressed.getAndSet(0);
        if (more == 0) {
            log.warn(message, args);
        } else if (log.isWarnEnabled()) {
            log.warn(MessageFormatter.arrayFormat(message, args).getMessage()
                    + " (" + more + " more since the last such line)");
        }
        return true;
    }
}
