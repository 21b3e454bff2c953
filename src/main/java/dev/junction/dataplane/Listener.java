package dev.junction.dataplane;

import dev.junction.lb.EndpointTable;
import dev.junction.model.Frontend;
import io.netty.channel.Channel;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.UnixChannel;
import io.netty.channel.uring.HandoverIoUringServerSocketChannel;
import java.net.InetSocketAddress;
import java.util.concurrent.Future;

/**
 * A bound frontend and its slot: the volatile table that traffic reads. The control context writes the
 * slot (one volatile write per change); event loops read it. What closing means beyond the bound
 * channel is up to the protocol.
 * TCP binds this class as it is: accepted connections are channels of their own and outlive the close.
 * UDP's {@code UdpListener} adds the count of its sessions, which end with the listener's channel.
 */
public class Listener implements FrontendHandle {

    private final Frontend frontend;
    private volatile EndpointTable table;
    private Channel channel;

    public Listener(Frontend frontend, EndpointTable table) {
        this.frontend = frontend;
        this.table = table;
    }

    /** The listening channel, once bound; called before the handle is handed out. */
    public final void bound(Channel channel) {
        this.channel = channel;
    }

    public final EndpointTable table() {
        return table;
    }

    @Override
    public final Frontend frontend() {
        return frontend;
    }

    @Override
    public final InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public final void update(EndpointTable table) {
        this.table = table;
    }

    /** The listening socket's descriptor, to hand over; null on NIO, which has none to give. */
    public final FileDescriptor descriptor() {
        return channel instanceof UnixChannel unix ? unix.fd() : null;
    }

    /**
     * Stops reading from the socket, without closing it: a successor holds the same kernel socket and takes
     * what arrives from now on (new connections, new datagrams), while what this process has open carries on;
     * a UDP frontend still sends its sessions' replies. Returns once the listener's event loop has done it. An
     * io_uring TCP listener then takes the connections queued as its accept ended, which nothing else would
     * ({@link HandoverIoUringServerSocketChannel#stopAccepting}); a close waits for that.
     */
    public final void stopAccepting() {
        channel.eventLoop().submit(() -> {
            if (channel instanceof HandoverIoUringServerSocketChannel uring) {
                uring.stopAccepting();
            } else {
                channel.config().setAutoRead(false);
            }
        }).awaitUninterruptibly();
    }

    @Override
    public final void close() {
        channel.close().awaitUninterruptibly();
    }

    @Override
    public final Future<?> startClosing() {
        return channel.close();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + '(' + frontend + ')';
    }
}
