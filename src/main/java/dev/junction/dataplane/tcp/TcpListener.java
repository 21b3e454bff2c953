package dev.junction.dataplane.tcp;

import dev.junction.dataplane.Listener;
import dev.junction.lb.EndpointTable;
import dev.junction.model.Frontend;

/**
 * A bound TCP frontend. Closing it closes only the server channel: accepted connections are separate
 * channels and carry on until they end.
 */
final class TcpListener extends Listener {

    TcpListener(Frontend frontend, EndpointTable table) {
        super(frontend, table);
    }
}
