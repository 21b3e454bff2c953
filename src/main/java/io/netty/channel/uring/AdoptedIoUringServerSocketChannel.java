package io.netty.channel.uring;

import io.netty.channel.Channel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.ServerSocketChannelConfig;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;

/**
 * An io_uring TCP server channel over a socket that is already bound and listening (handed over by a previous
 * Junction). Netty 4.2.18's {@link IoUringServerSocketChannel} has no constructor that takes a descriptor, as
 * its epoll counterpart has, and is final; this is the same channel with that constructor, in Netty's package
 * for the package-private parts it needs ({@link LinuxSocket}, the child channel's constructor). Checked against
 * 4.2.18 by the tests that adopt a socket on io_uring; revisit on a Netty upgrade. Event-loop confined, as
 * Netty's channels are.
 */
public final class AdoptedIoUringServerSocketChannel extends AbstractIoUringServerChannel implements ServerSocketChannel {

    private final IoUringServerSocketChannelConfig config;

    /** Wraps {@code fd}, a listening TCP socket this channel now owns. */
    public AdoptedIoUringServerSocketChannel(int fd) {
        super(new LinuxSocket(fd), true);
        this.config = new IoUringServerSocketChannelConfig(this);
    }

    @Override
    public ServerSocketChannelConfig config() {
        return config;
    }

    /** As {@link IoUringServerSocketChannel}: the accepted socket, with the peer address the accept wrote. */
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

    @Override
    public void doBind(SocketAddress localAddress) {
        throw new UnsupportedOperationException("an adopted socket is bound already");
    }
}
