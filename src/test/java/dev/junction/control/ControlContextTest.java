package dev.junction.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The control context's drain rules, with plain strings for changes. */
class ControlContextTest {

    /** A batch as applied: its items and the thread that applied it. */
    private record Applied(List<String> items, String thread) {
    }

    private final List<Applied> applied = new CopyOnWriteArrayList<>();
    /** The context whose own batches check that they are in it. */
    private ControlContext<String> subject;

    private ControlContext<String> recording(Consumer<List<String>> also) {
        return new ControlContext<>(batch -> {
            applied.add(new Applied(List.copyOf(batch), Thread.currentThread().getName()));
            also.accept(batch);
        });
    }

    @Test
    void aDrainAppliesEverythingQueuedAsOneBatchOnTheCallingThread() {
        ControlContext<String> context = recording(batch -> {
        });
        context.enqueue("a");
        context.enqueue("b");
        assertTrue(applied.isEmpty(), "queued, not applied, until drained");

        context.drain();
        assertEquals(List.of(new Applied(List.of("a", "b"), Thread.currentThread().getName())), applied);
        assertFalse(context.hasQueued());
    }

    @Test
    void aDrainWhileAnotherThreadAppliesReturnsAtOnceAndThatThreadAppliesItNext() throws Exception {
        CountDownLatch applying = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ControlContext<String> context = recording(batch -> {
            if (batch.contains("first")) {
                applying.countDown();
                awaitQuietly(release);
            }
        });
        Thread other = new Thread(() -> {
            context.enqueue("first");
            context.drain();
        }, "other-source");
        other.start();
        assertTrue(applying.await(10, TimeUnit.SECONDS), "the other thread is applying");

        context.enqueue("second");
        assertTimeoutPreemptively(Duration.ofSeconds(5), context::drain, "a drain does not wait for another's batch");
        assertEquals(1, applied.size(), "nothing applied by the second drain");

        release.countDown();
        other.join(10_000);
        assertEquals(List.of(new Applied(List.of("first"), "other-source"), new Applied(List.of("second"),
                "other-source")), applied);
    }

    @Test
    void throwIfNotInThisContextPassesOnlyInsideIt() {
        List<Throwable> thrown = new CopyOnWriteArrayList<>();
        ControlContext<String> context = new ControlContext<>(batch -> thrown.add(check(subject)));
        subject = context;
        ControlContext<String> other = new ControlContext<>(batch -> thrown.add(check(context)));
        assertThrows(IllegalStateException.class, context::throwIfNotInThisContext, "outside");

        context.enqueue("x");
        context.drain();
        context.execute(() -> thrown.add(check(context)));
        other.enqueue("y");
        other.drain();
        assertEquals(3, thrown.size());
        assertEquals(null, thrown.get(0), "in a batch");
        assertEquals(null, thrown.get(1), "in a task");
        assertTrue(thrown.get(2) instanceof IllegalStateException, "in another context's batch");
    }

    @Test
    void aFailingBatchOrTaskDoesNotWedgeTheContext() {
        ControlContext<String> context = recording(batch -> {
            if (batch.contains("bad")) {
                throw new IllegalStateException("a bug");
            }
        });
        context.enqueue("bad");
        context.drain();
        context.execute(() -> {
            throw new IllegalStateException("another bug");
        });

        context.enqueue("good");
        context.drain();
        assertEquals(List.of("bad"), applied.get(0).items());
        assertEquals(List.of("good"), applied.get(1).items(), "the failed batch is not applied again");
        assertThrows(IllegalStateException.class, context::throwIfNotInThisContext, "the lock was let go");
    }

    @Test
    void aTaskRunsInTheContextAndThenAppliesWhatWasQueuedMeanwhile() {
        ControlContext<String> context = recording(batch -> {
        });
        context.execute(() -> {
            context.throwIfNotInThisContext();
            context.enqueue("during");
            context.drain();
            assertTrue(applied.isEmpty(), "not applied inside the task");
        });
        assertEquals(List.of("during"), applied.get(0).items());
    }

    /** What {@code throwIfNotInThisContext} threw; null when the caller is in {@code context}. */
    private static Throwable check(ControlContext<?> context) {
        try {
            context.throwIfNotInThisContext();
            return null;
        } catch (IllegalStateException e) {
            return e;
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
