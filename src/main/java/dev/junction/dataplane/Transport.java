package dev.junction.dataplane;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.HandoverIoUringServerSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringIoHandlerConfig;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.channels.spi.SelectorProvider;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event loops, channel types and buffer allocator every listener and relay uses: io_uring when the
 * kernel and the native library allow it, else epoll, else NIO (each fallback said once, with the reason).
 * io_uring comes first because it submits a loop's accepts, connects, reads and writes in batches: a
 * proxied connection costs about 30% less CPU than with epoll (bench/compare.sh, cps). The allocator
 * is the data plane's own pooled direct allocator, so its memory can be measured apart from anything else
 * in the process. UDP runs on {@link #datagrams()}: the same transport, except on io_uring, where it is an
 * epoll one (see there). Thread-safe.
 */
public final class Transport implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Transport.class);

    /** Which I/O mechanism to use; {@link #AUTO} prefers io_uring, then epoll. */
    public enum Kind { AUTO, IO_URING, EPOLL, NIO }

    /**
     * A completion queue of {@value #COMPLETIONS} entries (16 bytes each) per event loop. The default, 4,096,
     * overflowed when thousands of connections arrived at once (IdleConnectionsBench: 8,000): the kernel
     * keeps overflowed completions, so nothing was lost, but Netty warned on each.
     */
    private static final int COMPLETIONS = 32_768;
    private static final IoUringIoHandlerConfig IO_URING_CONFIG = new IoUringIoHandlerConfig().setCqSize(COMPLETIONS);

    private final String name;
    private final EventLoopGroup group;
    private final Function<SocketProtocolFamily, ? extends ServerChannel> serverChannels;
    private final Function<SocketProtocolFamily, ? extends SocketChannel> socketChannels;
    private final ChannelFactory<? extends DatagramChannel> datagramChannels;
    private final ChannelOption<Boolean> freeBind;
    private final PooledByteBufAllocator allocator;
    private final int workers;
    /** This transport, or for io_uring the epoll (else NIO) one its UDP runs on, made when first asked for. */
    private Transport datagrams;

    private Transport(String name, int workers, IoHandlerFactory io, String threads, PooledByteBufAllocator allocator,
            Function<SocketProtocolFamily, ? extends ServerChannel> serverChannels,
            Function<SocketProtocolFamily, ? extends SocketChannel> socketChannels,
            ChannelFactory<? extends DatagramChannel> datagramChannels, ChannelOption<Boolean> freeBind) {
        this.name = name;
        this.workers = workers;
        this.allocator = allocator;
        this.group = new MultiThreadIoEventLoopGroup(workers, new DefaultThreadFactory(threads, true), io);
        this.serverChannels = serverChannels;
        this.socketChannels = socketChannels;
        this.datagramChannels = datagramChannels;
        this.freeBind = freeBind;
    }

    /**
     * What a {@link Kind} resolves to on this host, without starting anything.
     *
     * @param kind     IO_URING, EPOLL or NIO, never AUTO
     * @param fallback why the preferred transports were passed over (empty when none was)
     */
    public record Choice(Kind kind, String fallback) {
        /** io_uring, epoll or nio. */
        public String name() {
            return kind.name().toLowerCase(Locale.ROOT);
        }

        @Override
        public String toString() {
            return fallback.isEmpty() ? name() : name() + " (" + fallback + ")";
        }
    }

    /**
     * The transport {@code kind} takes here: for {@link Kind#AUTO} the first of io_uring, epoll and NIO that
     * works, with the reason for each one passed over.
     *
     * @throws IllegalStateException when {@code kind} names a transport that is unavailable, with the cause
     */
    public static Choice choose(Kind kind) {
        if ((kind == Kind.AUTO || kind == Kind.IO_URING) && IoUring.isAvailable()) {
            return new Choice(Kind.IO_URING, "");
        }
        if (kind == Kind.IO_URING) {
            throw new IllegalStateException("io_uring transport unavailable: " + IoUring.unavailabilityCause());
        }
        String noIoUring = "io_uring unavailable: " + IoUring.unavailabilityCause();
        if (kind != Kind.NIO && Epoll.isAvailable()) {
            return new Choice(Kind.EPOLL, kind == Kind.AUTO ? noIoUring : "");
        }
        if (kind == Kind.EPOLL) {
            throw new IllegalStateException("epoll transport unavailable: " + Epoll.unavailabilityCause());
        }
        return new Choice(Kind.NIO, kind == Kind.AUTO
                ? noIoUring + "; epoll unavailable: " + Epoll.unavailabilityCause() : "");
    }

    public static Transport create(Kind kind, int workers) {
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be >= 1, got " + workers);
        }
        Choice choice = choose(kind);
        PooledByteBufAllocator allocator = new PooledByteBufAllocator(true);
        switch (choice.kind()) {
            case IO_URING:
                // Its socket channels have no family constructor, so they are dual-stack (an IPv4 peer goes
                // through an IPv4-mapped address); measured as a whole it is still the cheaper transport.
                return new Transport("io_uring", workers, IoUringIoHandler.newFactory(IO_URING_CONFIG), "junction-io",
                        allocator, family -> new HandoverIoUringServerSocketChannel(), family -> new IoUringSocketChannel(),
                        IoUringDatagramChannel::new, IoUringChannelOption.IP_FREEBIND);
            case EPOLL:
                if (!choice.fallback().isEmpty()) {
                    // Common and harmless: container runtimes' default seccomp profiles refuse io_uring.
                    log.info("using epoll transport: {}", choice.fallback());
                }
                return epoll(workers, "junction-io", allocator);
            default:
                if (!choice.fallback().isEmpty()) {
                    log.warn("using NIO transport: {}", choice.fallback());
                }
                return nio(workers, "junction-io", allocator);
        }
    }

    private static Transport epoll(int workers, String threads, PooledByteBufAllocator allocator) {
        return new Transport("epoll", workers, EpollIoHandler.newFactory(), threads, allocator,
                EpollServerSocketChannel::new, EpollSocketChannel::new, EpollDatagramChannel::new,
                EpollChannelOption.IP_FREEBIND);
    }

    private static Transport nio(int workers, String threads, PooledByteBufAllocator allocator) {
        SelectorProvider provider = SelectorProvider.provider();
        return new Transport("nio", workers, NioIoHandler.newFactory(), threads, allocator,
                family -> new NioServerSocketChannel(provider, family),
                family -> new NioSocketChannel(provider, family), NioDatagramChannel::new, null);
    }

    /**
     * The transport UDP frontends and their sessions run on: this one, except on io_uring, where it is an
     * epoll one (NIO where epoll is unavailable) with its own event loops ({@code junction-udp}) and this
     * allocator. A UDP session is a connected channel of its own, and Netty's io_uring datagram channel
     * allocates 512 message headers (two batches of 256, fixed in its constructor) with their buffers when
     * it is created: about 180 KB of direct and 150 KB of heap memory per session, so a flood of new client
     * ports took the process to OutOfDirectMemoryError at ~3,000 sessions (issue 14). An epoll datagram
     * channel is a descriptor and about 2 KB of heap. A frontend and its sessions stay on one loop of that
     * group, so the session table stays loop-confined.
     */
    public synchronized Transport datagrams() {
        if (datagrams == null) {
            datagrams = !name.equals("io_uring") ? this
                    : Epoll.isAvailable() ? epoll(workers, "junction-udp", allocator) : nio(workers, "junction-udp", allocator);
        }
        return datagrams;
    }

    public String name() {
        return name;
    }

    public EventLoopGroup group() {
        return group;
    }

    /**
     * A new, unregistered TCP server channel for binding {@code address}, with IP_FREEBIND when
     * {@code freeBind}, so it binds an address not (yet) local. An IPv4 address gets an IPv4 socket rather than
     * a dual-stack IPv6 one, so its accepted connections are IPv4 sockets too (see {@link #newSocketChannel}).
     * On io_uring IP_FREEBIND is set on the socket itself: Netty's io_uring config sets it only after a cast to
     * its own server channel class, which fails for {@link HandoverIoUringServerSocketChannel} (a bootstrap
     * option merely logs that, and route capture's binds then fail).
     *
     * @throws IllegalStateException when the transport cannot set IP_FREEBIND (NIO)
     */
    public ServerChannel newServerChannel(InetAddress address, boolean freeBind) {
        ServerChannel ch = serverChannels.apply(family(address));
        if (!freeBind) {
            return ch;
        }
        if (ch instanceof HandoverIoUringServerSocketChannel uring) {
            uring.setFreeBind();
        } else if (this.freeBind == null || !ch.config().setOption(this.freeBind, true)) {
            ch.unsafe().closeForcibly();
            throw new IllegalStateException("the " + name + " transport cannot set IP_FREEBIND");
        }
        return ch;
    }

    /**
     * A new, unregistered TCP channel for connecting to {@code address}, of that address's family: an IPv4
     * peer gets an IPv4 socket, which spares the IPV6_V6ONLY call a dual-stack socket costs at creation and
     * the kernel's IPv4-mapped detour on every connect and send.
     */
    public SocketChannel newSocketChannel(InetAddress address) {
        return socketChannels.apply(family(address));
    }

    private static SocketProtocolFamily family(InetAddress address) {
        return address instanceof Inet4Address ? SocketProtocolFamily.INET : SocketProtocolFamily.INET6;
    }

    /**
     * The option that binds an address not (yet) local, IP_FREEBIND, which route capture needs; null on NIO,
     * which cannot set it.
     */
    public ChannelOption<Boolean> freeBind() {
        return freeBind;
    }

    /**
     * A TCP server channel wrapping {@code fd}, a socket already bound and listening (handed over by a
     * predecessor); io_uring and epoll (NIO cannot adopt one). On io_uring it is
     * {@link HandoverIoUringServerSocketChannel}: Netty's own io_uring server channel takes no descriptor.
     *
     * @throws UnsupportedOperationException on NIO
     */
    public ServerChannel adoptServerChannel(int fd) {
        return switch (name) {
            case "io_uring" -> new HandoverIoUringServerSocketChannel(fd);
            case "epoll" -> new EpollServerSocketChannel(fd);
            default -> throw new UnsupportedOperationException("the " + name + " transport cannot adopt a listening socket");
        };
    }

    /** Whether {@link #adoptServerChannel} works here: on io_uring and epoll. */
    public boolean adoptsListeners() {
        return !name.equals("nio");
    }

    /**
     * A datagram channel wrapping {@code fd}, a bound UDP socket handed over by a predecessor; epoll only (on
     * io_uring, UDP runs on an epoll {@link #datagrams()} transport, whose channels can).
     *
     * @throws UnsupportedOperationException on NIO and io_uring
     */
    public DatagramChannel adoptDatagramChannel(int fd) {
        if (!name.equals("epoll")) {
            throw new UnsupportedOperationException("the " + name + " transport cannot adopt a UDP socket");
        }
        return new EpollDatagramChannel(fd);
    }

    public ChannelFactory<? extends DatagramChannel> datagramChannels() {
        return datagramChannels;
    }

    public ByteBufAllocator allocator() {
        return allocator;
    }

    /** Direct memory the data plane's pool holds in its chunks right now (used or cached). */
    public long pooledDirectMemory() {
        return allocator.metric().usedDirectMemory();
    }

    @Override
    public void close() {
        Transport udp;
        synchronized (this) {
            udp = datagrams;
        }
        if (udp != null && udp != this) {
            udp.close();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Override
    public String toString() {
        return name;
    }
}
