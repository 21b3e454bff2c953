package dev.junction.testing;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Waiting on a condition with a deadline: how tests synchronise with asynchronous work. */
public final class Conditions {

    private Conditions() {
    }

    public static void await(String what, BooleanSupplier condition) {
        await(what, Duration.ofSeconds(10), condition);
    }

    public static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            LockSupport.parkNanos(5_000_000);
        }
    }

    /** Polls {@code source} until {@code condition} holds; fails naming {@code what} and the last value seen. */
    public static <T> void await(String what, Supplier<T> source, Predicate<T> condition) {
        Object[] last = new Object[1];
        try {
            await(what, () -> {
                T value = source.get();
                last[0] = value;
                return condition.test(value);
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; last seen: " + last[0], e);
        }
    }

    /** Waits until {@code supplier} yields {@code expected}; fails showing the last value seen. */
    public static <T> void awaitEquals(String what, T expected, Supplier<T> supplier) {
        Object[] last = new Object[1];
        try {
            await(what, () -> expected.equals(last[0] = supplier.get()));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + ": expected " + expected + " but was " + last[0], e);
        }
    }
}
