package dev.junction.dataplane.udp;

import dev.junction.lb.EndpointState;
import dev.junction.lb.EndpointTable;
import dev.junction.lb.ServiceCounters;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.Errors;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client address:port's flow: a channel connected to the endpoint picked for it (so the kernel drops
 * datagrams from anyone else), counted against that endpoint while open. An ICMP port unreachable from the
 * endpoint (connection refused on the connected socket) marks the endpoint failed, like a refused TCP
 * connect, and ends the session, so the client's next datagram picks again. Event-loop confined: its
 * channel is on the frontend channel's loop.
 */
final class UdpSession extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(UdpSession.class);

    /** Datagrams held while the channel is being connected (normally it connects at once, on this loop). */
    private static final int MAX_PENDING = 16;

    private final SessionTable sessions;
    private final InetSocketAddress client;
    private final EndpointState endpoint;
    /** The listener's table this session was last checked against. */
    private EndpointTable table;
    private final ServiceCounters counters;
    private long lastActiveNanos;
    private final Channel channel;
    private ArrayDeque<ByteBuf> pending = new ArrayDeque<>(2);
    private boolean unflushed;
    private boolean answered;
    private boolean closed;

    /** A session on {@code channel}, a new unregistered one this becomes the handler of. */
    UdpSession(SessionTable sessions, InetSocketAddress client, EndpointState endpoint, EndpointTable table,
            long nowNanos, Channel channel) {
        this.sessions = sessions;
        this.channel = channel;
        channel.pipeline().addLast(this);
        this.client = client;
        this.endpoint = endpoint;
        this.table = table;
        this.lastActiveNanos = nowNanos;
        this.counters = table.counters();
        endpoint.connectionOpened();
        counters.accepted();
    }

    ServiceCounters counters() {
        return counters;
    }

    InetSocketAddress client() {
        return client;
    }

    long lastActiveNanos() {
        return lastActiveNanos;
    }

    void active(long nowNanos) {
        lastActiveNanos = nowNanos;
    }

    void open(EventLoop loop) {
        loop.register(channel).addListener((ChannelFuture r) -> {
            if (r.isSuccess() && !closed) {
                channel.connect(endpoint.socketAddress()).addListener(this::connected);
            } else {
                sessions.close(this);
            }
        });
    }

    private void connected(Future<? super Void> f) {
        if (closed) {
            return;
        }
        if (!f.isSuccess()) {
            failed();
            sessions.close(this);
            return;
        }
        ArrayDeque<ByteBuf> queued = pending;
        pending = null;
        if (!queued.isEmpty()) {
            queued.forEach(b -> channel.write(b, channel.voidPromise()));
            channel.flush();
        }
    }

    /**
     * Whether this session may keep its endpoint under the listener's table {@code current}: not if the
     * endpoint was retired or is not in the table this client picks from. Which table that is, and
     * membership, are worked out once per table swap, then remembered.
     */
    boolean servedBy(EndpointTable current) {
        if (endpoint.retired()) {
            return false;
        }
        if (current != table) {
            if (!current.forClient(client.getAddress(), sessions.frontendAddress()).contains(endpoint)) {
                return false;
            }
            table = current;
        }
        return true;
    }

    /** Sends a client datagram to the endpoint (flushed at the end of the read batch); takes ownership. */
    boolean forward(ByteBuf content) {
        if (closed) {
            // Its connect failed at once, while the datagram that opened it was being routed.
            content.release();
            return false;
        }
        if (pending != null) {
            if (pending.size() < MAX_PENDING) {
                pending.add(content);
                return true;
            }
        } else if (channel.isWritable()) {
            channel.write(content, channel.voidPromise());
            if (!unflushed) {
                unflushed = true;
                sessions.unflushed(this);
            }
            return true;
        }
        content.release();
        return false;
    }

    void flush() {
        unflushed = false;
        channel.flush();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closed || !(msg instanceof DatagramPacket packet)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!answered) {
            answered = true;
            endpoint.succeeded();
        }
        sessions.reply(this, packet.content());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        sessions.flushReplies();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        sessions.close(this);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (refused(cause)) {
            failed();
            sessions.close(this);
        } else if (cause instanceof IOException) {
            log.debug("session {} -> {}: {}", client, endpoint, cause.toString());
        } else {
            log.warn("session {} -> {} failed", client, endpoint, cause);
            sessions.close(this);
        }
    }

    private void failed() {
        if (endpoint.failed(table.nanoTime())) {
            counters.ejected();
        }
    }

    /** ICMP port unreachable, as each transport reports it on a connected datagram socket. */
    private static boolean refused(Throwable cause) {
        return cause instanceof PortUnreachableException
                || cause instanceof ConnectException
                || cause instanceof Errors.NativeIoException e && e.expectedErr() == Errors.ERROR_ECONNREFUSED_NEGATIVE;
    }

    /** Idempotent; the channel's own close comes back through {@link #channelInactive}, a no-op by then. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        endpoint.connectionClosed();
        counters.closed();
        if (pending != null) {
            pending.forEach(ByteBuf::release);
            pending.clear();
        }
        channel.close();
    }
}
