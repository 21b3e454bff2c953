package dev.junction.dataplane.tcp;

import io.netty.channel.EventLoop;
import java.util.concurrent.TimeUnit;

/**
 * Closes the connections of one event loop that have been idle in both directions for the idle timeout:
 * one timer per loop, rather than a handler and a scheduled task per connection. A connection marks
 * itself active with the current sweep count (a field write, no clock read); a sweep runs every
 * timeout / {@link #SLICES} while the loop has connections and closes those not marked for more than
 * {@code SLICES} sweeps, so a connection closes between one timeout and timeout × (1 + 1/SLICES) after
 * its last activity, never before. Event-loop confined.
 */
final class IdleSweep implements Runnable {

    static final int SLICES = 8;

    private final long periodNanos;
    private EventLoop loop;
    private FrontendHandler head;
    private long sweeps;
    private boolean scheduled;

    IdleSweep(long idleTimeoutNanos) {
        this.periodNanos = Math.max(1, idleTimeoutNanos / SLICES);
    }

    /** Sweeps run so far: the mark of a connection active now. */
    long sweeps() {
        return sweeps;
    }

    void add(FrontendHandler connection, EventLoop loop) {
        this.loop = loop;
        connection.idleMark = sweeps;
        connection.idleNext = head;
        if (head != null) {
            head.idlePrev = connection;
        }
        head = connection;
        if (!scheduled) {
            scheduled = true;
            loop.schedule(this, periodNanos, TimeUnit.NANOSECONDS);
        }
    }

    void remove(FrontendHandler connection) {
        FrontendHandler prev = connection.idlePrev;
        FrontendHandler next = connection.idleNext;
        if (prev != null) {
            prev.idleNext = next;
        } else if (head == connection) {
            head = next;
        }
        if (next != null) {
            next.idlePrev = prev;
        }
        connection.idlePrev = null;
        connection.idleNext = null;
    }

    @Override
    public void run() {
        sweeps++;
        for (FrontendHandler c = head; c != null; ) {
            FrontendHandler next = c.idleNext;
            if (sweeps - c.idleMark > SLICES) {
                c.idleTimedOut();
            }
            c = next;
        }
        // No timer while the loop has no connections: an idle proxy does not wake up for nothing.
        scheduled = head != null;
        if (scheduled) {
            loop.schedule(this, periodNanos, TimeUnit.NANOSECONDS);
        }
    }
}
