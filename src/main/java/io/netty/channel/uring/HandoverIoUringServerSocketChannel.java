package io.netty.channel.uring;

import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.ServerSocketChannelConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;

/**
 * An io_uring TCP server channel that can be handed over: on a new socket (as {@link IoUringServerSocketChannel},
 * which is final) or on one already bound and listening (handed over by a previous Junction; Netty 4.2.18's channel
 * takes no descriptor, as its epoll counterpart does), and it stops accepting without stranding a connection in the
 * accept queue it shares with its successor ({@link #stopAccepting}). In Netty's package for the package-private
 * parts it needs ({@link LinuxSocket}, the channel's socket, the child channel's constructor, the accept's
 * completion flags). Checked against 4.2.18 by the tests that hand a socket over on io_uring; revisit on a Netty
 * upgrade. Event-loop confined, as Netty's channels are.
 */
public final class HandoverIoUringServerSocketChannel extends AbstractIoUringServerChannel
        implements ServerSocketChannel {

    /** What accept(2) writes the peer's address into; the child channel reads its address from its socket. */
    private static final int ADDRESS_BYTES = 26;

    private final IoUringServerSocketChannelConfig config;
    private final boolean adopted;
    private boolean stopping;

    /** A new TCP socket, listening once bound. */
    public HandoverIoUringServerSocketChannel() {
        super(LinuxSocket.newSocketStream(), false);
        this.config = new IoUringServerSocketChannelConfig(this);
        this.adopted = false;
    }

    /** Wraps {@code fd}, a listening TCP socket this channel now owns. */
    public HandoverIoUringServerSocketChannel(int fd) {
        super(new LinuxSocket(fd), true);
        this.config = new IoUringServerSocketChannelConfig(this);
        this.adopted = true;
    }

    @Override
    public ServerSocketChannelConfig config() {
        return config;
    }

    /**
     * IP_FREEBIND on the socket, before it is bound. Netty's {@link IoUringServerSocketChannelConfig} sets it only
     * after casting its channel to {@link IoUringServerSocketChannel}, which this is not.
     */
    public void setFreeBind() {
        try {
            socket.setIpFreeBind(true);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    /**
     * Stops accepting, the socket left open for a successor that holds it too; runs on the event loop. Turning
     * auto-read off alone loses connections on io_uring: an io_uring accept waits on the socket as an exclusive
     * waiter (the kernel arms IORING_OP_ACCEPT's poll with EPOLLEXCLUSIVE), so each new connection wakes one waiting
     * accept, this channel's (armed first) while it lasts. Auto-read off cancels that accept; a connection whose
     * wakeup it took and that the cancel overtook stays in the accept queue, and the successor's accept is not woken
     * for it: it waits for the next new connection, or times out. So once this channel's accept has ended, it takes
     * what is queued itself ({@link #socketIsEmpty}).
     */
    public void stopAccepting() {
        stopping = true;
        config.setAutoRead(false);
    }

    /**
     * Called by Netty for every completion of this channel's accept, before it handles it. One without
     * IORING_CQE_F_MORE is the accept's last: it no longer waits on the socket, so whatever is queued now either
     * woke the successor's accept or wakes nobody, and is taken here.
     */
    @Override
    protected boolean socketIsEmpty(int flags) {
        if (stopping && (flags & Native.IORING_CQE_F_MORE) == 0) {
            acceptQueued();
        }
        return super.socketIsEmpty(flags);
    }

    /**
     * Accepts what is queued, without waiting (Netty's TCP sockets are non-blocking), and passes each connection
     * down the pipeline as Netty's own accept does, to be served like any other.
     */
    private void acceptQueued() {
        ChannelPipeline pipeline = pipeline();
        byte[] address = new byte[ADDRESS_BYTES];
        boolean accepted = false;
        try {
            for (int fd = socket.accept(address); fd >= 0; fd = socket.accept(address)) {
                accepted = true;
                pipeline.fireChannelRead(newChildChannel(fd, null));
            }
        } catch (Exception e) {
            pipeline.fireExceptionCaught(e);
        }
        if (accepted) {
            pipeline.fireChannelReadComplete();
        }
    }

    /** As {@link IoUringServerSocketChannel}: the accepted socket, with the peer address the accept wrote if any. */
    @Override
    Channel newChildChannel(int fd, ByteBuffer acceptedAddressMemory) throws Exception {
        IoUringIoHandler handler = (IoUringIoHandler) registration().attachment();
        LinuxSocket socket = new LinuxSocket(fd);
        if (acceptedAddressMemory == null) {
            return new IoUringSocketChannel(this, socket);
        }
        InetSocketAddress remote = socket.isIpv6()
                ? SockaddrIn.getIPv6(acceptedAddressMemory, handler.inet6AddressArray(), handler.inet4AddressArray())
                : SockaddrIn.getIPv4(acceptedAddressMemory, handler.inet4AddressArray());
        return new IoUringSocketChannel(this, socket, remote);
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return (InetSocketAddress) super.remoteAddress();
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) super.localAddress();
    }

    /** As {@link IoUringServerSocketChannel}, without TCP Fast Open, which Junction does not set. */
    @Override
    public void doBind(SocketAddress localAddress) throws Exception {
        if (adopted) {
            throw new UnsupportedOperationException("an adopted socket is bound already");
        }
        super.doBind(localAddress);
        socket.listen(config.getBacklog());
        active = true;
    }
}
