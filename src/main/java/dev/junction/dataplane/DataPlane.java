package dev.junction.dataplane;

import dev.junction.lb.EndpointTable;
import dev.junction.model.Frontend;
import java.util.ArrayList;
import java.util.List;

/** Opens listeners for frontends. The control plane's only way into the data plane. */
public interface DataPlane {

    /**
     * Binds a listener for {@code frontend} serving {@code table}; returns once it accepts.
     *
     * @throws FrontendBindException naming the frontend and the reason when it cannot be bound
     */
    FrontendHandle open(Frontend frontend, EndpointTable table) throws FrontendBindException;

    /** The outcome of opening one frontend: a handle, or why it could not be bound. */
    record Opened(FrontendHandle handle, FrontendBindException failure) {
    }

    /**
     * Opens many frontends at once, one outcome per frontend in order; returns once every one is bound or
     * has failed. Implementations may bind them concurrently, which is what makes the first sync of a
     * large cluster fast; this default opens them one by one.
     */
    default List<Opened> openAll(List<Frontend> frontends, List<EndpointTable> tables) {
        List<Opened> opened = new ArrayList<>(frontends.size());
        for (int i = 0; i < frontends.size(); i++) {
            try {
                opened.add(new Opened(open(frontends.get(i), tables.get(i)), null));
            } catch (FrontendBindException e) {
                opened.add(new Opened(null, e));
            }
        }
        return opened;
    }
}
