package dev.junction.dataplane;

import dev.junction.model.Frontend;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Listening sockets a predecessor handed over, by frontend, until a data plane adopts them ({@link #take}) or
 * they are closed as unwanted ({@link #closeRest}, after the first sync). They may be asked for only when first
 * needed: the first data plane that opens a frontend then waits for the handover, which so happens after this
 * process's own sources synced and right before it binds. Thread-safe.
 */
public final class InheritedSockets {

    private Supplier<Map<Frontend, FileDescriptor>> handover;
    /** Guarded by this; null until the handover is asked for. */
    private Map<Frontend, FileDescriptor> sockets;

    public InheritedSockets(Map<Frontend, FileDescriptor> sockets) {
        this.sockets = new HashMap<>(sockets);
    }

    /** Sockets {@code handover} returns, asked for on first use. */
    public InheritedSockets(Supplier<Map<Frontend, FileDescriptor>> handover) {
        this.handover = handover;
    }

    public static InheritedSockets none() {
        return new InheritedSockets(Map.of());
    }

    private synchronized Map<Frontend, FileDescriptor> sockets() {
        if (sockets == null) {
            sockets = new HashMap<>(handover.get());
            handover = null;
        }
        return sockets;
    }

    /** The socket handed over for {@code frontend}, now the caller's; null when there is none. */
    public synchronized FileDescriptor take(Frontend frontend) {
        return sockets().remove(frontend);
    }

    /** Sockets not taken yet. */
    public synchronized int size() {
        return sockets().size();
    }

    /**
     * Closes the sockets nobody took (their Services went away while the predecessor still served them) and
     * returns their frontends: this process's copy was the last, so the kernel socket closes with it.
     */
    public synchronized List<Frontend> closeRest() {
        List<Frontend> closed = new ArrayList<>(sockets().keySet());
        for (FileDescriptor fd : sockets.values()) {
            try {
                fd.close();
            } catch (IOException e) {
                // Closing a socket nobody serves: nothing more to do about it.
            }
        }
        sockets.clear();
        return closed;
    }
}
