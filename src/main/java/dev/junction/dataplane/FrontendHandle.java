package dev.junction.dataplane;

import dev.junction.lb.EndpointTable;
import dev.junction.model.Frontend;

/**
 * A bound listener for one frontend. {@link #update} is one volatile write: connections already open
 * keep their endpoint, new ones read the new table. Called from the control thread.
 */
public interface FrontendHandle {

    Frontend frontend();

    void update(EndpointTable table);

    /** Stops accepting; connections already established carry on until they end. */
    void close();
}
