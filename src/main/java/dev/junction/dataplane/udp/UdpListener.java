package dev.junction.dataplane.udp;

import dev.junction.dataplane.Listener;
import dev.junction.lb.EndpointTable;
import dev.junction.model.Frontend;

/**
 * A bound UDP frontend; every datagram's session checks the slot's table. Unlike TCP, closing the
 * listener ends its sessions too: their replies can only leave through the frontend's socket.
 */
final class UdpListener extends Listener {

    private volatile int sessions;

    UdpListener(Frontend frontend, EndpointTable table) {
        super(frontend, table);
    }

    /** Written by the listener's event loop when a session opens or closes. */
    void sessions(int count) {
        sessions = count;
    }

    /** Sessions this frontend holds now. */
    int sessions() {
        return sessions;
    }
}
