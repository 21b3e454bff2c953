package dev.junction.dataplane;

import dev.junction.lb.EndpointTable;
import dev.junction.model.Frontend;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

/**
 * A bound listener for one frontend. {@link #update} is one volatile write: connections already open
 * keep their endpoint, new ones read the new table. Called in the control context.
 */
public interface FrontendHandle {

    Frontend frontend();

    /** Where the listener is bound (differs from the frontend only for port 0). */
    InetSocketAddress localAddress();

    void update(EndpointTable table);

    /** The table connections read now. */
    EndpointTable table();

    /** Stops accepting; connections already established carry on until they end. */
    void close();

    /**
     * {@link #close}, begun and not waited for: the future completes once it has. For closing many at once,
     * which one by one can take milliseconds each (an io_uring listener waits for its accept's cancellation).
     */
    default Future<?> startClosing() {
        close();
        return CompletableFuture.completedFuture(null);
    }
}
