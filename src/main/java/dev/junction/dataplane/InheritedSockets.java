package dev.junction.dataplane;

import dev.junction.model.Frontend;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Listening sockets a predecessor handed over, by frontend, until a data plane adopts them ({@link #take}) or
 * they are closed as unwanted ({@link #closeRest}, after the first sync). Thread-safe.
 */
public final class InheritedSockets {

    private final Map<Frontend, FileDescriptor> sockets;

    public InheritedSockets(Map<Frontend, FileDescriptor> sockets) {
        this.sockets = new ConcurrentHashMap<>(sockets);
    }

    public static InheritedSockets none() {
        return new InheritedSockets(Map.of());
    }

    /** The socket handed over for {@code frontend}, now the caller's; null when there is none. */
    public FileDescriptor take(Frontend frontend) {
        return sockets.isEmpty() ? null : sockets.remove(frontend);
    }

    /** Sockets not taken yet. */
    public int size() {
        return sockets.size();
    }

    /**
     * Closes the sockets nobody took (their Services went away while the predecessor still served them) and
     * returns their frontends: this process's copy was the last, so the kernel socket closes with it.
     */
    public List<Frontend> closeRest() {
        List<Frontend> closed = new ArrayList<>();
        for (Frontend f : List.copyOf(sockets.keySet())) {
            FileDescriptor fd = sockets.remove(f);
            if (fd != null) {
                try {
                    fd.close();
                } catch (IOException e) {
                    // Closing a socket nobody serves: nothing more to do about it.
                }
                closed.add(f);
            }
        }
        return closed;
    }
}
