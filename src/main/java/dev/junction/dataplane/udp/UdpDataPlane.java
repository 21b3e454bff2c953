package dev.junction.dataplane.udp;

import dev.junction.dataplane.DataPlane;
import dev.junction.dataplane.FrontendBindException;
import dev.junction.dataplane.FrontendHandle;
import dev.junction.dataplane.Transport;
import dev.junction.lb.EndpointTable;
import dev.junction.model.Frontend;
import dev.junction.model.Protocol;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollDatagramChannelConfig;
import io.netty.channel.socket.DatagramChannel;
import java.util.concurrent.atomic.LongAdder;

/**
 * UDP listeners: one datagram channel per frontend, and per client address:port a session with its own
 * connected channel to the endpoint picked for it. Thread-safe; {@link #open} blocks until the listener is
 * bound. The counters are for metrics.
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

    private final Transport transport;
    private final UdpOptions options;
    private final LongAdder evicted = new LongAdder();
    private final LongAdder expired = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder open = new LongAdder();

    public UdpDataPlane(Transport transport, UdpOptions options) {
        this.transport = transport;
        this.options = options;
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
        ChannelFuture registered = newChannel(loop, new SessionTable(this, listener)).awaitUninterruptibly();
        if (registered.isSuccess() && options.freeBind()
                && (transport.freeBind() == null || !registered.channel().config().setOption(transport.freeBind(), true))) {
            registered.channel().close();
            throw new FrontendBindException(frontend, new IllegalStateException(
                    "IP_FREEBIND needs the io_uring or epoll transport, this is " + transport.name()));
        }
        ChannelFuture bound = registered.isSuccess()
                ? registered.channel().bind(frontend.socketAddress()).awaitUninterruptibly()
                : registered;
        if (!bound.isSuccess()) {
            registered.channel().close();
            throw new FrontendBindException(frontend, bound.cause());
        }
        listener.bound(bound.channel());
        return listener;
    }

    /**
     * Registers a new datagram channel on {@code loop}, sized so no datagram is truncated, with
     * {@code handler}; the caller binds or connects it once registered.
     */
    ChannelFuture newChannel(EventLoop loop, ChannelHandler handler) {
        DatagramChannel ch = transport.datagramChannels().newChannel();
        ch.config().setAllocator(transport.allocator());
        ch.config().setWriteBufferWaterMark(WATER_MARK);
        if (ch.config() instanceof EpollDatagramChannelConfig epoll) {
            // A payload size makes epoll read with recvmmsg, one maximum-size slot per datagram.
            epoll.setMaxDatagramPayloadSize(MAX_DATAGRAM);
            epoll.setRecvByteBufAllocator(EPOLL_READS);
        } else {
            ch.config().setRecvByteBufAllocator(NIO_READS);
        }
        ch.pipeline().addLast(handler);
        return loop.register(ch);
    }

    /**
     * {@code content} itself if it fills at least half of the buffer it was read into, else a right-sized
     * copy (the original is released). A datagram waiting in a write queue then pins its own size, not a
     * 64 KiB read buffer (NIO, io_uring) or a 512 KiB recvmmsg batch (epoll), so the high water mark bounds memory.
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

    void evicted() {
        evicted.increment();
    }

    void expired() {
        expired.increment();
    }

    void dropped() {
        dropped.increment();
    }

    /** A frontend's session count moved by {@code delta}. */
    void sessionsChanged(int delta) {
        open.add(delta);
    }

    /** Sessions open now, on every frontend. */
    public long activeSessions() {
        return open.sum();
    }

    /** Sessions evicted because a frontend reached its session cap (the oldest-idle went). */
    public long evictedSessions() {
        return evicted.sum();
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
