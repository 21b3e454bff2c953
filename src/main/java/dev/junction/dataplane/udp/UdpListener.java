package dev.junction.dataplane.udp;

import dev.junction.dataplane.FrontendHandle;
import dev.junction.lb.EndpointTable;
import dev.junction.model.Frontend;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;

/**
 * One bound UDP frontend and its slot: the volatile table every datagram's session checks against. The
 * control thread writes the slot; the listener's event loop reads it. Unlike TCP, closing the listener
 * ends its sessions too: their replies can only leave through the frontend's socket.
 */
final class UdpListener implements FrontendHandle {

    private final Frontend frontend;
    private volatile EndpointTable table;
    private volatile int sessions;
    private Channel channel;

    UdpListener(Frontend frontend, EndpointTable table) {
        this.frontend = frontend;
        this.table = table;
    }

    void bound(Channel channel) {
        this.channel = channel;
    }

    EndpointTable table() {
        return table;
    }

    /** Written by the listener's event loop when a session opens or closes, for tests and metrics. */
    void sessions(int count) {
        sessions = count;
    }

    /** Sessions this frontend holds now. */
    int sessions() {
        return sessions;
    }

    @Override
    public Frontend frontend() {
        return frontend;
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void update(EndpointTable table) {
        this.table = table;
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
    }

    @Override
    public String toString() {
        return "UdpListener(" + frontend + ')';
    }
}
