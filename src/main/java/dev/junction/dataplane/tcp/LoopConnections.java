package dev.junction.dataplane.tcp;

import io.netty.channel.EventLoop;
import java.util.concurrent.TimeUnit;

/**
 * The open connections of one event loop: closes those idle for the idle timeout, and those half-closed
 * (one side has sent its FIN, the other has not) and idle for the half-close timeout, with one timer per
 * loop rather than a handler and a scheduled task per connection; and resets them all when Junction stops.
 * A connection marks itself active with the current sweep count (a field write, no clock read); a sweep
 * runs every (shorter enabled timeout) / {@link #SLICES} while the loop has connections and closes those
 * not marked for longer than their timeout, so a connection closes between one timeout and that timeout
 * plus one sweep period after its last activity, never before. With both timeouts off no timer runs.
 * Event-loop confined.
 */
final class LoopConnections implements Runnable {

    static final int SLICES = 8;

    private final long periodNanos;
    /** Sweeps without activity after which an open connection closes; 0: never. */
    private final long idleSweeps;
    /** Sweeps without activity after which a half-closed connection closes; 0: as an open one. */
    private final long halfClosedSweeps;
    private final EventLoop loop;
    private FrontendHandler head;
    private long sweeps;
    private boolean scheduled;

    /** The connections of {@code loop}; timeouts in nanoseconds, 0 for off. */
    LoopConnections(EventLoop loop, long idleTimeoutNanos, long halfCloseTimeoutNanos) {
        this.loop = loop;
        long shorter = idleTimeoutNanos == 0 ? halfCloseTimeoutNanos
                : halfCloseTimeoutNanos == 0 ? idleTimeoutNanos : Math.min(idleTimeoutNanos, halfCloseTimeoutNanos);
        this.periodNanos = shorter == 0 ? 0 : Math.max(1, shorter / SLICES);
        this.idleSweeps = sweepsOf(idleTimeoutNanos);
        this.halfClosedSweeps = halfCloseTimeoutNanos == 0 ? idleSweeps : sweepsOf(halfCloseTimeoutNanos);
    }

    private long sweepsOf(long timeoutNanos) {
        return timeoutNanos == 0 ? 0 : Math.max(1, -Math.floorDiv(-timeoutNanos, periodNanos));
    }

    /** Sweeps run so far: the mark of a connection active now. */
    long sweeps() {
        return sweeps;
    }

    EventLoop loop() {
        return loop;
    }

    void add(FrontendHandler connection) {
        connection.idleMark = sweeps;
        connection.idleNext = head;
        if (head != null) {
            head.idlePrev = connection;
        }
        head = connection;
        if (!scheduled && periodNanos != 0) {
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

    /** Resets every connection of this loop (RST to both peers): Junction is stopping. */
    void resetAll() {
        for (FrontendHandler c = head; c != null; ) {
            FrontendHandler next = c.idleNext;
            c.reset();
            c = next;
        }
    }

    @Override
    public void run() {
        sweeps++;
        for (FrontendHandler c = head; c != null; ) {
            FrontendHandler next = c.idleNext;
            long limit = c.halfClosed ? halfClosedSweeps : idleSweeps;
            if (limit != 0 && sweeps - c.idleMark > limit) {
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
