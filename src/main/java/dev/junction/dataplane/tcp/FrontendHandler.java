package dev.junction.dataplane.tcp;

import dev.junction.dataplane.Listener;
import dev.junction.lb.EndpointState;
import dev.junction.lb.EndpointTable;
import dev.junction.lb.ServiceCounters;
import dev.junction.model.ProxyProtocol;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketChannelConfig;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * The client side of one proxied connection. On accept it reads the listener's table once (the cluster
 * endpoints' table when the route short-circuits this node's own clients and this is one), picks an
 * endpoint and connects to it on the same event loop; a refused or timed-out connect marks that
 * endpoint failed and tries the next, up to the attempt limit. Reading from the client starts only once
 * the backend is connected; with the PROXY protocol the header goes to the backend before any client
 * byte. No usable endpoint, or a client outside the route's source ranges: the client gets a RST at once.
 * Event-loop confined.
 */
final class FrontendHandler extends RelayHandler implements ChannelFutureListener {

    private final TcpDataPlane plane;
    private final Listener listener;
    private Channel client;
    private EndpointTable table;
    private InetAddress clientAddress;
    private EndpointState[] tried;
    private int attempts;
    private EndpointState connecting;
    private ServiceCounters counters;
    // Epoll reads on RDHUP even with auto-read off, so a client that writes and half-closes at once can
    // deliver bytes before the backend is connected; they wait here (one read batch at most).
    private ArrayDeque<Object> early;
    private LoopConnections loopConnections;
    // Owned by loopConnections: this connection's last activity mark, whether a side has sent its FIN while
    // the other has not, and its links in the loop's list.
    long idleMark;
    boolean halfClosed;
    FrontendHandler idlePrev;
    FrontendHandler idleNext;

    FrontendHandler(TcpDataPlane plane, Listener listener) {
        this.plane = plane;
        this.listener = listener;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        client = ctx.channel();
        table = listener.table();
        counters = table.counters();
        counters.accepted();
        plane.connectionOpened();
        bytes = counters.bytesToEndpoints;
        clientAddress = ((InetSocketAddress) client.remoteAddress()).getAddress();
        if (!table.route().allows(clientAddress)) {
            counters.failed();
            refuse(client);
            return;
        }
        table = table.forClient(clientAddress, listener.frontend().address());
        loopConnections = plane.loopConnections(client.eventLoop());
        loopConnections.add(this);
        connectNext();
    }

    @Override
    void active() {
        if (loopConnections != null) {
            idleMark = loopConnections.sweeps();
        }
    }

    /** One side has sent its FIN: from now on (and from its last activity) the half-close timeout applies. */
    @Override
    void halfClosed() {
        halfClosed = true;
        active();
    }

    /** Called by the loop's sweep: nothing moved either way for the idle (or half-close) timeout. */
    void idleTimedOut() {
        closeBoth(client);
    }

    /** Junction is stopping: both peers get a RST, so none is left waiting on a connection that is gone. */
    void reset() {
        if (peer != null) {
            refuse(peer);
        }
        refuse(client);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (peer != null) {
            super.channelRead(ctx, msg);
            return;
        }
        if (early == null) {
            early = new ArrayDeque<>(2);
        }
        count(msg);
        early.add(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (peer != null) {
            super.channelReadComplete(ctx);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseEarly();
        if (loopConnections != null) {
            loopConnections.remove(this);
            loopConnections = null;
        }
        if (counters != null) {
            counters.closed();
            plane.connectionClosed();
        }
        super.channelInactive(ctx);
    }

    private void releaseEarly() {
        if (early != null) {
            early.forEach(ReferenceCountUtil::release);
            early = null;
        }
    }

    private void connectNext() {
        EndpointState endpoint = table.pick(clientAddress, tried);
        if (endpoint == null || attempts >= plane.options().maxConnectAttempts()) {
            counters.failed();
            refuse(client);
            return;
        }
        if (attempts > 0) {
            counters.retried();
        }
        attempts++;
        connecting = endpoint;
        BackendHandler backend = new BackendHandler(endpoint);
        backend.bytes = counters.bytesToClients;
        backend.peer = client;
        backend.peerRelay = this;
        peerRelay = backend;
        // The channel is built by hand rather than by a Bootstrap per connect: no option map to copy and
        // apply, no resolver, and registration on the client's own loop completes inline. TCP_NODELAY is
        // not set here: Netty's socket channel configs enable it at creation (TransportTest checks both
        // sides), and setting it again costs a setsockopt per connection.
        SocketChannel ch;
        try {
            ch = plane.transport().newSocketChannel(endpoint.socketAddress().getAddress());
        } catch (ChannelException e) {
            // No socket at all (descriptors exhausted, family unsupported): no fault of the endpoint, so it is
            // not marked. Refused here, because on a retry this runs inside a connect listener, where Netty
            // would swallow the exception and leave the client open and unread.
            plane.noSocket(e);
            counters.failed();
            refuse(client);
            return;
        }
        SocketChannelConfig config = ch.config();
        config.setAllocator(plane.transport().allocator());
        config.setConnectTimeoutMillis(plane.connectTimeoutMillis());
        config.setAllowHalfClosure(true);
        config.setWriteBufferWaterMark(TcpDataPlane.WATER_MARK);
        ch.pipeline().addLast(TcpDataPlane.RELAY, backend);
        ChannelFuture registered = client.eventLoop().register(ch);
        if (registered.isDone()) {
            connectRegistered(registered);
        } else {
            registered.addListener((ChannelFutureListener) this::connectRegistered);
        }
    }

    private void connectRegistered(ChannelFuture registered) {
        if (registered.isSuccess()) {
            registered.channel().connect(connecting.socketAddress()).addListener(this);
        } else {
            // Only a loop that is shutting down refuses a registration; that is no fault of the endpoint.
            registered.channel().unsafe().closeForcibly();
            refuse(client);
        }
    }

    /** Connect outcome of the current attempt. */
    @Override
    public void operationComplete(ChannelFuture f) {
        EndpointState endpoint = connecting;
        if (f.isSuccess()) {
            endpoint.succeeded();
            Channel backend = f.channel();
            peer = backend;
            if (!client.isActive()) {
                // The client gave up while we were connecting.
                releaseEarly();
                backend.close();
                return;
            }
            ProxyProtocol proxyProtocol = table.route().proxyProtocol();
            if (proxyProtocol != ProxyProtocol.NONE) {
                backend.write(ProxyHeader.encode(proxyProtocol, (InetSocketAddress) client.remoteAddress(),
                        (InetSocketAddress) client.localAddress(), backend.alloc()), backend.voidPromise());
            }
            if (early != null) {
                early.forEach(m -> backend.write(m, backend.voidPromise()));
                early = null;
            }
            backend.flush();
            if (inputDone) {
                shutdownPeerOutput();
            } else {
                client.config().setAutoRead(true);
            }
            return;
        }
        // A failed connect leaves its channel open; its relay must not outlive the attempt (an error event
        // on it would close the client).
        f.channel().close();
        if (endpoint.failed(table.nanoTime())) {
            counters.ejected();
        }
        if (!client.isActive()) {
            return;
        }
        if (tried == null) {
            tried = new EndpointState[plane.options().maxConnectAttempts()];
        }
        tried[attempts - 1] = endpoint;
        connectNext();
    }

    /** RST rather than FIN: the client learns at once that nothing serves this address now. */
    static void refuse(Channel ch) {
        ch.config().setOption(ChannelOption.SO_LINGER, 0);
        ch.close();
    }

    /** The endpoint side: counts the connection against its endpoint while it is open. */
    static final class BackendHandler extends RelayHandler {

        private final EndpointState endpoint;

        BackendHandler(EndpointState endpoint) {
            this.endpoint = endpoint;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            endpoint.connectionOpened();
            ctx.channel().config().setAutoRead(true);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            endpoint.connectionClosed();
            super.channelInactive(ctx);
        }

        /** The connection's idleness is kept by its frontend side. */
        @Override
        void active() {
            peerRelay.active();
        }

        @Override
        void halfClosed() {
            peerRelay.halfClosed();
        }
    }
}
