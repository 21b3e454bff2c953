package dev.junction.dataplane.udp;

import dev.junction.dataplane.DataPlane;
import dev.junction.dataplane.FrontendBindException;
import dev.junction.dataplane.FrontendHandle;
import dev.junction.dataplane.InheritedSockets;
import dev.junction.dataplane.OpenListeners;
import dev.junction.dataplane.Transport;
import dev.junction.lb.EndpointTable;
import dev.junction.model.Frontend;
import dev.junction.model.Protocol;
import dev.junction.observe.RateLimitedLog;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollDatagramChannelConfig;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.unix.FileDescriptor;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.LoggerFactory;

/**
 * UDP listeners: one datagram channel per frontend, and per client address:port a session with its own
 * connected channel to the endpoint picked for it, all on {@link Transport#datagrams()}. Sessions of every
 * frontend together are capped; a new client past the cap, or whose socket cannot be opened (the descriptor
 * limit), is refused with one rate-limited warning, while open sessions keep being served. Thread-safe;
 * {@link #open} blocks until the listener is bound. The counters are for metrics.
 */
public final class UdpDataPlane implements DataPlane {

    /**
     * The largest UDP payload (65,535 less the UDP header, with room for IPv6's 65,527): every buffer a
     * datagram is read into is at least this big, so nothing is ever truncated.
     */
    static final int MAX_DATAGRAM = 65_535;

    /**
     * Datagrams per recvmmsg call on epoll. Each read buffer is this many maximum-size slots; a slot's
     * datagram is passed on as a slice of it.
     */
    static final int READ_BATCH = 8;

    private static final FixedRecvByteBufAllocator EPOLL_READS = new FixedRecvByteBufAllocator(MAX_DATAGRAM * READ_BATCH);
    private static final FixedRecvByteBufAllocator NIO_READS = new FixedRecvByteBufAllocator(MAX_DATAGRAM);

    /**
     * Datagrams queued in user space per channel before further ones are dropped, as a full socket buffer
     * would drop them: a slow peer pins at most this much.
     */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(256 * 1024, 512 * 1024);

    /**
     * What the frontend socket's receive buffer asks for: a burst of 500 new clients overflowed the default
     * (net.core.rmem_default, 208 KiB here) while their sessions were being opened, dropping 234 datagrams.
     * The kernel caps it at net.core.rmem_max (4 MiB on this host, 208 KiB on many); SO_RCVBUFFORCE, which
     * could pass that cap with CAP_NET_ADMIN, is not used: Netty does not expose it, and the operator sets
     * the host's cap.
     */
    static final int FRONTEND_RECEIVE_BUFFER = 4 * 1024 * 1024;

    private static final RateLimitedLog refusals =
            new RateLimitedLog(LoggerFactory.getLogger(UdpDataPlane.class), Duration.ofSeconds(10));

    private final Transport transport;
    private final UdpOptions options;
    private final ChannelFactory<? extends DatagramChannel> channels;
    private final LongAdder refused = new LongAdder();
    private final LongAdder expired = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final AtomicInteger open = new AtomicInteger();
    private final InheritedSockets inherited;
    private final OpenListeners listeners = new OpenListeners();

    public UdpDataPlane(Transport transport, UdpOptions options) {
        this(transport, options, InheritedSockets.none());
    }

    /**
     * A data plane that, asked for a frontend whose socket a predecessor handed over, adopts that socket rather
     * than binding a new one.
     */
    public UdpDataPlane(Transport transport, UdpOptions options, InheritedSockets inherited) {
        this(transport, options, transport.datagrams().datagramChannels(), inherited);
    }

    /** With {@code channels} making every datagram channel: a test seam for sockets that cannot be opened. */
    UdpDataPlane(Transport transport, UdpOptions options, ChannelFactory<? extends DatagramChannel> channels) {
        this(transport, options, channels, InheritedSockets.none());
    }

    private UdpDataPlane(Transport transport, UdpOptions options, ChannelFactory<? extends DatagramChannel> channels,
            InheritedSockets inherited) {
        this.transport = transport.datagrams();
        this.options = options;
        this.channels = channels;
        this.inherited = inherited;
    }

    UdpOptions options() {
        return options;
    }

    @Override
    public FrontendHandle open(Frontend frontend, EndpointTable table) throws FrontendBindException {
        if (frontend.protocol() != Protocol.UDP) {
            throw new IllegalArgumentException("not a UDP frontend: " + frontend);
        }
        UdpListener listener = new UdpListener(frontend, table);
        EventLoop loop = transport.group().next();
        FileDescriptor handedOver = inherited.take(frontend);
        DatagramChannel ch;
        try {
            ch = handedOver != null ? configure(transport.adoptDatagramChannel(handedOver.intValue())) : newChannel();
        } catch (ChannelException e) {
            throw new FrontendBindException(frontend, e);
        }
        ch.pipeline().addLast(new SessionTable(this, listener));
        ch.config().setOption(ChannelOption.SO_RCVBUF, FRONTEND_RECEIVE_BUFFER);
        ChannelFuture registered = loop.register(ch).awaitUninterruptibly();
        if (registered.isSuccess() && options.freeBind()
                && (transport.freeBind() == null || !registered.channel().config().setOption(transport.freeBind(), true))) {
            registered.channel().close();
            throw new FrontendBindException(frontend, new IllegalStateException(
                    "IP_FREEBIND needs the io_uring or epoll transport, UDP here runs on " + transport.name()));
        }
        // A socket handed over is bound already.
        ChannelFuture bound = registered.isSuccess() && handedOver == null
                ? registered.channel().bind(frontend.socketAddress()).awaitUninterruptibly()
                : registered;
        if (!bound.isSuccess()) {
            registered.channel().close();
            throw new FrontendBindException(frontend, bound.cause());
        }
        listener.bound(bound.channel());
        listeners.opened(listener, bound.channel());
        return listener;
    }

    /**
     * The frontends open now, for a handover. When they stop accepting, open sessions carry on, their replies
     * still sent from the frontend's socket.
     */
    public OpenListeners listeners() {
        return listeners;
    }

    /**
     * A new datagram channel, sized so no datagram is truncated; the caller adds its handler, registers it
     * and binds or connects it.
     *
     * @throws ChannelException when the socket cannot be opened (EMFILE at the descriptor limit)
     */
    DatagramChannel newChannel() {
        return configure(channels.newChannel());
    }

    private DatagramChannel configure(DatagramChannel ch) {
        ch.config().setAllocator(transport.allocator());
        ch.config().setWriteBufferWaterMark(WATER_MARK);
        if (ch.config() instanceof EpollDatagramChannelConfig epoll) {
            // A payload size makes epoll read with recvmmsg, one maximum-size slot per datagram.
            epoll.setMaxDatagramPayloadSize(MAX_DATAGRAM);
            epoll.setRecvByteBufAllocator(EPOLL_READS);
        } else {
            ch.config().setRecvByteBufAllocator(NIO_READS);
        }
        return ch;
    }

    /**
     * {@code content} itself if it fills at least half of the buffer it was read into, else a right-sized
     * copy (the original is released). A datagram waiting in a write queue then pins its own size, not a
     * 64 KiB read buffer (NIO) or a 512 KiB recvmmsg batch (epoll), so the high water mark bounds memory.
     */
    static ByteBuf compact(ByteBuf content) {
        ByteBuf backing = content.unwrap() != null ? content.unwrap() : content;
        int n = content.readableBytes();
        if (n >= backing.capacity() / 2) {
            return content;
        }
        ByteBuf copy = content.alloc().directBuffer(n, n).writeBytes(content);
        content.release();
        return copy;
    }

    /** Takes one of the cap's sessions; false (and a refusal counted and logged) when all are taken. */
    boolean reserveSession() {
        int n;
        do {
            n = open.get();
            if (n >= options.maxSessions()) {
                refused("the cap of " + n + " sessions (--udp-max-sessions) is reached");
                return false;
            }
        } while (!open.compareAndSet(n, n + 1));
        return true;
    }

    /** Gives back {@code n} sessions reserved with {@link #reserveSession}, closed or never opened. */
    void sessionsClosed(int n) {
        open.addAndGet(-n);
    }

    /** A new client refused because {@code reason}: counted, and logged once per interval. */
    void refused(String reason) {
        refused.increment();
        refusals.warn("UDP sessions for new clients refused, open ones kept: {}", reason);
    }

    void expired() {
        expired.increment();
    }

    void dropped() {
        dropped.increment();
    }

    /** Sessions open now, on every frontend. */
    public long activeSessions() {
        return open.get();
    }

    /** New clients refused a session: the cap was reached, or their socket could not be opened. */
    public long refusedSessions() {
        return refused.sum();
    }

    /** Sessions closed by the idle timeout. */
    public long expiredSessions() {
        return expired.sum();
    }

    /** Datagrams dropped: a source the route does not admit, no usable endpoint, or the peer's queue was full. */
    public long droppedDatagrams() {
        return dropped.sum();
    }
}
