package dev.junction.dataplane.udp;

import dev.junction.lb.EndpointState;
import dev.junction.lb.EndpointTable;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The frontend channel's handler and its sessions, one per client address:port. A client datagram goes to
 * its session's endpoint, picked when the session opened from the listener's table, or from its cluster
 * endpoints' table for a client of this node that the route short-circuits; a session whose endpoint was
 * retired or left the table its client picks from is replaced at once by one to a freshly picked endpoint.
 * Replies leave through the frontend channel, so they come from the frontend address. Idle sessions are
 * reaped. A new client is refused, and its datagram dropped, at the data plane's session cap or when its
 * socket cannot be opened; a session enters the table only with its socket open. Refusing rather than evicting
 * the least recently active session keeps a flood of new sources from ending the sessions already served, as
 * a full conntrack table drops new flows. Writes are flushed once per read batch. Event-loop confined: the
 * frontend channel and all its session channels live on one loop, so nothing here is locked.
 */
final class SessionTable extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(SessionTable.class);

    private final UdpDataPlane plane;
    private final UdpListener listener;
    private final LongSupplier clock;
    private final long idleNanos;
    // Access order: the head is the least recently active session, the one reaping takes first.
    private final LinkedHashMap<InetSocketAddress, UdpSession> sessions = new LinkedHashMap<>(64, 0.75f, true);
    private final ArrayList<UdpSession> unflushed = new ArrayList<>();
    private Channel frontend;
    private ScheduledFuture<?> reaper;
    private boolean repliesUnflushed;

    SessionTable(UdpDataPlane plane, UdpListener listener) {
        this.plane = plane;
        this.listener = listener;
        this.clock = plane.options().nanoClock();
        this.idleNanos = plane.options().idleTimeout().toNanos();
    }

    @Override
    public void channelRegistered(ChannelHandlerContext ctx) {
        frontend = ctx.channel();
        long every = plane.options().reapInterval().toNanos();
        reaper = ctx.executor().scheduleWithFixedDelay(this::reap, every, every, TimeUnit.NANOSECONDS);
        ctx.fireChannelRegistered();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof DatagramPacket packet)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        UdpSession session = sessionFor(packet.sender());
        if (session == null) {
            listener.table().counters().failed();
            packet.release();
            plane.dropped();
            return;
        }
        session.counters().bytesToEndpoints.add(packet.content().readableBytes());
        if (!session.forward(UdpDataPlane.compact(packet.content()))) {
            plane.dropped();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        for (int i = 0; i < unflushed.size(); i++) {
            unflushed.get(i).flush();
        }
        unflushed.clear();
    }

    /**
     * The client's session, moved or opened as needed; null when the route does not admit the client (the
     * source ranges, checked like kube-proxy's firewall for new flows only), no endpoint is usable, or the
     * session is refused (the cap, or no socket).
     */
    private UdpSession sessionFor(InetSocketAddress client) {
        long now = clock.getAsLong();
        EndpointTable table = listener.table();
        UdpSession session = sessions.get(client);
        if (session != null) {
            if (session.servedBy(table)) {
                session.active(now);
                return session;
            }
            close(session);
        }
        if (!table.route().allows(client.getAddress())) {
            return null;
        }
        if (!plane.reserveSession()) {
            return null;
        }
        EndpointTable own = table.forClient(client.getAddress(), frontendAddress());
        EndpointState endpoint = own.pick(client.getAddress(), null);
        if (endpoint == null) {
            plane.sessionsClosed(1);
            return null;
        }
        DatagramChannel channel;
        try {
            channel = plane.newChannel();
        } catch (ChannelException e) {
            plane.sessionsClosed(1);
            plane.refused("no socket for a session: " + (e.getCause() != null ? e.getCause() : e));
            return null;
        }
        session = new UdpSession(this, client, endpoint, table, now, channel);
        sessions.put(client, session);
        listener.sessions(sessions.size());
        session.open(frontend.eventLoop());
        return session;
    }

    /** The address clients send to, which decides with theirs whose table they use. */
    InetAddress frontendAddress() {
        return listener.frontend().address();
    }

    /** {@code session} wrote to its channel in this read batch: flush it when the batch ends. */
    void unflushed(UdpSession session) {
        unflushed.add(session);
    }

    /** A reply from {@code session}'s endpoint, sent on from the frontend address; takes ownership. */
    void reply(UdpSession session, ByteBuf content) {
        session.active(clock.getAsLong());
        sessions.get(session.client()); // refreshes the access order
        if (!frontend.isWritable()) {
            content.release();
            plane.dropped();
            return;
        }
        session.counters().bytesToClients.add(content.readableBytes());
        frontend.write(new DatagramPacket(UdpDataPlane.compact(content), session.client()), frontend.voidPromise());
        repliesUnflushed = true;
    }

    /** The end of a session channel's read batch. */
    void flushReplies() {
        if (repliesUnflushed) {
            repliesUnflushed = false;
            frontend.flush();
        }
    }

    /** Removes {@code session} (if it is still the client's) and closes it; idempotent. */
    void close(UdpSession session) {
        if (sessions.remove(session.client(), session)) {
            listener.sessions(sessions.size());
            plane.sessionsClosed(1);
        }
        session.close();
    }

    private void reap() {
        long now = clock.getAsLong();
        Iterator<UdpSession> it = sessions.values().iterator();
        while (it.hasNext()) {
            UdpSession s = it.next();
            if (now - s.lastActiveNanos() < idleNanos) {
                break; // access order: every later session was active more recently
            }
            it.remove();
            s.close();
            plane.expired();
            plane.sessionsClosed(1);
        }
        listener.sessions(sessions.size());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        // The listener is closed: its sessions could not reply any more.
        reaper.cancel(false);
        for (UdpSession s : sessions.values()) {
            s.close();
        }
        plane.sessionsClosed(sessions.size());
        sessions.clear();
        unflushed.clear();
        listener.sessions(0);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A datagram socket survives a failed send or receive; the listener keeps serving.
        if (cause instanceof IOException) {
            log.debug("{}: {}", listener, cause.toString());
        } else {
            log.warn("{} failed", listener, cause);
        }
    }
}
