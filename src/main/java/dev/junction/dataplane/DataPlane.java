package dev.junction.dataplane;

import dev.junction.lb.EndpointTable;
import dev.junction.model.Frontend;

/** Opens listeners for frontends. The control plane's only way into the data plane. */
public interface DataPlane {

    /**
     * Binds a listener for {@code frontend} serving {@code table}; returns once it accepts.
     *
     * @throws FrontendBindException naming the frontend and the reason when it cannot be bound
     */
    FrontendHandle open(Frontend frontend, EndpointTable table) throws FrontendBindException;
}
