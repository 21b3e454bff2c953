package dev.junction.dataplane;

import io.netty.channel.Channel;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** A data plane's listeners that are bound and not closed, for a handover. Thread-safe. */
public final class OpenListeners {

    private final Set<Listener> open = ConcurrentHashMap.newKeySet();

    /** Counts {@code listener} as open until {@code channel}, the one it is bound to, closes. */
    public void opened(Listener listener, Channel channel) {
        open.add(listener);
        channel.closeFuture().addListener(f -> open.remove(listener));
    }

    public List<Listener> list() {
        return List.copyOf(open);
    }

    /** Every listener stops accepting, its socket left open for the successor that holds it too. */
    public void stopAccepting() {
        open.forEach(Listener::stopAccepting);
    }
}
