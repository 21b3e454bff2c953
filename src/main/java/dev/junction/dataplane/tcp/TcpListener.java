package dev.junction.dataplane.tcp;

import dev.junction.dataplane.FrontendHandle;
import dev.junction.lb.EndpointTable;
import dev.junction.model.Frontend;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;

/**
 * One bound TCP frontend and its slot: the volatile table every new connection reads once. The control
 * thread writes the slot; event loops read it.
 */
final class TcpListener implements FrontendHandle {

    private final Frontend frontend;
    private volatile EndpointTable table;
    private Channel channel;

    TcpListener(Frontend frontend, EndpointTable table) {
        this.frontend = frontend;
        this.table = table;
    }

    void bound(Channel channel) {
        this.channel = channel;
    }

    EndpointTable table() {
        return table;
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
        // Only the server channel: accepted connections are separate channels and carry on.
        channel.close().awaitUninterruptibly();
    }

    @Override
    public String toString() {
        return "TcpListener(" + frontend + ')';
    }
}
