package dev.junction.control;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control context: confines the control plane's state to one thread at a time without a thread of its
 * own, like gRPC's {@code SynchronizationContext}. Any thread {@link #enqueue}s; whichever thread then
 * {@link #drain}s first takes everything queued and applies it as one batch, on its own thread, holding the
 * context's lock. A drain that finds the lock taken returns at once: the holder looks at the queue again
 * after letting go, so what was queued meanwhile is its to apply next. Thread-safe.
 *
 * <p>Why the enqueuing thread applies rather than a thread of the context's own: it is running when the
 * change arrives, while a dedicated thread would first have to be woken and scheduled, which on a busy node
 * costs more than applying the change.
 */
final class ControlContext<E> {

    private static final Logger log = LoggerFactory.getLogger(ControlContext.class);

    private final ConcurrentLinkedQueue<E> queue = new ConcurrentLinkedQueue<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final List<E> batch = new ArrayList<>();
    private final Consumer<List<E>> apply;

    /** {@code apply} receives each batch in arrival order, in the context; it must not keep the list. */
    ControlContext(Consumer<List<E>> apply) {
        this.apply = Objects.requireNonNull(apply, "apply");
    }

    /** Queues {@code item} for the next batch; callable from any thread. */
    void enqueue(E item) {
        queue.add(Objects.requireNonNull(item, "item"));
    }

    /** Whether anything is queued and not yet taken into a batch. */
    boolean hasQueued() {
        return !queue.isEmpty();
    }

    /**
     * Applies everything queued as one batch on the calling thread before returning, unless another thread
     * is in the context: then this returns at once and that thread applies it when it is done. In the
     * context (a batch or a task draining) it does nothing: the queue is looked at again on the way out.
     */
    void drain() {
        if (lock.isHeldByCurrentThread()) {
            return;
        }
        // Checked again after each unlock: what was queued while the lock was held, by a drain that found it
        // taken and returned, is this thread's to apply.
        while (!queue.isEmpty() && lock.tryLock()) {
            try {
                applyQueued();
            } finally {
                lock.unlock();
            }
        }
    }

    private void applyQueued() {
        for (E e = queue.poll(); e != null; e = queue.poll()) {
            batch.add(e);
        }
        try {
            if (!batch.isEmpty()) {
                apply.accept(batch);
            }
        } catch (RuntimeException e) {
            // A bug in one batch must not wedge the context, nor stop the thread that happened to apply it.
            log.error("control context: failed to apply a batch of {}", batch.size(), e);
        } finally {
            batch.clear();
        }
    }

    /**
     * Runs {@code task} in the context, waiting for a batch being applied to finish first, then applies what
     * was queued meanwhile (see {@link #drain}). For the periodic maintenance thread and for closing.
     */
    void execute(Runnable task) {
        lock.lock();
        try {
            task.run();
        } catch (RuntimeException e) {
            log.error("control context: a task failed", e);
        } finally {
            lock.unlock();
        }
        drain();
    }

    /** Throws unless the calling thread is in this context (applying a batch, or running a task). */
    void throwIfNotInThisContext() {
        if (!lock.isHeldByCurrentThread()) {
            throw new IllegalStateException("not in the control context: " + Thread.currentThread().getName());
        }
    }
}
