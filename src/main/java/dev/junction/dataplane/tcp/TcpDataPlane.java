package dev.junction.dataplane.tcp;

import dev.junction.dataplane.DataPlane;
import dev.junction.dataplane.FrontendBindException;
import dev.junction.dataplane.FrontendHandle;
import dev.junction.dataplane.InheritedSockets;
import dev.junction.dataplane.Listener;
import dev.junction.dataplane.OpenListeners;
import dev.junction.dataplane.Transport;
import dev.junction.lb.EndpointTable;
import dev.junction.model.Frontend;
import dev.junction.model.Protocol;
import dev.junction.observe.AcceptBackoff;
import dev.junction.observe.RateLimitedLog;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.LoggerFactory;

/**
 * TCP listeners: one server channel per frontend, each connection relayed to an endpoint picked from the
 * listener's current table. Thread-safe; {@link #open} blocks until the listener is bound.
 */
public final class TcpDataPlane implements DataPlane {

    /**
     * Per-direction buffering before reading from the other side pauses: small enough that a stalled
     * peer pins little memory, large enough to keep a bulk stream moving.
     */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(64 * 1024, 128 * 1024);

    /*
     * The handler is added under a fixed name: an unnamed handler makes Netty derive a unique name per add (a
     * class-name cache lookup, string building and a pipeline walk), ~10% of the proxy's CPU per new
     * connection in a JFR profile of the connection-rate benchmark.
     */
    static final String RELAY = "relay";

    private final Transport transport;
    private final TcpOptions options;
    private final int connectTimeoutMillis;
    private final LongAdder active = new LongAdder();
    private final AcceptBackoff acceptBackoff = new AcceptBackoff(LoggerFactory.getLogger(TcpDataPlane.class),
            "TCP listener");
    private final LongAdder noSocket = new LongAdder();
    private final RateLimitedLog noSocketLog =
            new RateLimitedLog(LoggerFactory.getLogger(TcpDataPlane.class), AcceptBackoff.LOG_INTERVAL);
    private final long idleNanos;
    private final long halfCloseNanos;
    /** Each event loop's connections, created on the loop's first connection. */
    private final FastThreadLocal<LoopConnections> loopConnections = new FastThreadLocal<>();
    /** Every loop's connections, for {@link #resetAll}. */
    private final Set<LoopConnections> allLoopConnections = ConcurrentHashMap.newKeySet();
    private final OpenListeners listeners = new OpenListeners();
    private final InheritedSockets inherited;

    public TcpDataPlane(Transport transport, TcpOptions options) {
        this(transport, options, InheritedSockets.none());
    }

    /**
     * A data plane that, asked for a frontend whose socket a predecessor handed over, adopts that socket rather
     * than binding a new one.
     *
     * @throws IllegalArgumentException when the transport cannot adopt sockets and some are handed over
     */
    public TcpDataPlane(Transport transport, TcpOptions options, InheritedSockets inherited) {
        if (options.freeBind() && transport.freeBind() == null) {
            throw new IllegalArgumentException("IP_FREEBIND needs the io_uring or epoll transport, this is "
                    + transport.name());
        }
        this.transport = transport;
        this.options = options;
        this.inherited = inherited;
        this.connectTimeoutMillis = (int) options.connectTimeout().toMillis();
        this.idleNanos = saturatedNanos(options.idleTimeout());
        this.halfCloseNanos = saturatedNanos(options.halfCloseTimeout());
    }

    /** Nanoseconds of {@code d}, capped: an idle timeout beyond ~292 years means never, not a crash. */
    private static long saturatedNanos(java.time.Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** The connections of {@code loop}, the calling event loop. */
    LoopConnections loopConnections(EventLoop loop) {
        LoopConnections connections = loopConnections.getIfExists();
        if (connections == null) {
            connections = new LoopConnections(loop, idleNanos, halfCloseNanos);
            loopConnections.set(connections);
            allLoopConnections.add(connections);
        }
        return connections;
    }

    Transport transport() {
        return transport;
    }

    TcpOptions options() {
        return options;
    }

    int connectTimeoutMillis() {
        return connectTimeoutMillis;
    }

    void connectionOpened() {
        active.increment();
    }

    void connectionClosed() {
        active.decrement();
    }

    /**
     * No socket could be created to connect to an endpoint (descriptor limit, most likely): the client is
     * refused, the endpoint is not blamed, and one line per interval says how often.
     */
    void noSocket(Throwable cause) {
        noSocket.increment();
        noSocketLog.warn("TCP connections refused: no socket to connect to an endpoint: {}{}", cause.getMessage(),
                AcceptBackoff.descriptorHint(cause));
    }

    /** Accepts that failed on any listener (each pauses that listener briefly); for a metric. */
    public long acceptFailures() {
        return acceptBackoff.failures();
    }

    /** Connections to endpoints that could not get a socket; for a metric. */
    public long connectsWithoutSocket() {
        return noSocket.sum();
    }

    /** Client connections open now, on every listener (closed listeners included); for a graceful drain. */
    public long activeConnections() {
        return active.sum();
    }

    /**
     * Resets every open connection (RST to client and endpoint) and waits, up to a few seconds, until each
     * loop has done so: Junction is stopping, and a client must learn that now, while its packets still
     * reach this host, rather than wait on a connection nothing serves. Call once the listeners are closed.
     */
    public void resetAll() {
        List<Future<?>> done = new ArrayList<>();
        for (LoopConnections connections : allLoopConnections) {
            done.add(connections.loop().submit(connections::resetAll));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (Future<?> f : done) {
            f.awaitUninterruptibly(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public FrontendHandle open(Frontend frontend, EndpointTable table) throws FrontendBindException {
        return finish(start(frontend, table));
    }

    /** Starts every bind before waiting for any, so the event loops bind them back to back. */
    @Override
    public List<Opened> openAll(List<Frontend> frontends, List<EndpointTable> tables) {
        List<Binding> bindings = new ArrayList<>(frontends.size());
        for (int i = 0; i < frontends.size(); i++) {
            bindings.add(start(frontends.get(i), tables.get(i)));
        }
        List<Opened> opened = new ArrayList<>(bindings.size());
        for (Binding b : bindings) {
            try {
                opened.add(new Opened(finish(b), null));
            } catch (FrontendBindException e) {
                opened.add(new Opened(null, e));
            }
        }
        return opened;
    }

    /** A listener whose bind is under way. */
    private record Binding(Listener listener, ChannelFuture future) {
    }

    private FrontendHandle finish(Binding binding) throws FrontendBindException {
        ChannelFuture bound = binding.future().awaitUninterruptibly();
        if (!bound.isSuccess()) {
            throw new FrontendBindException(binding.listener().frontend(), bound.cause());
        }
        Listener listener = binding.listener();
        listener.bound(bound.channel());
        listeners.opened(listener, bound.channel());
        return listener;
    }

    /** The listeners open now, for a handover. */
    public OpenListeners listeners() {
        return listeners;
    }

    /**
     * A successor holds copies of the listening sockets: every listener stops accepting and then closes this
     * process's copy. A socket the successor kept stays open with its accept queue, which belongs to the
     * socket, not to a copy; one it closed (its Service went away meanwhile) closes with this copy, so its
     * clients are refused at once rather than left waiting in a queue nobody accepts from. Open connections
     * carry on.
     */
    public void handedOver() {
        listeners.stopAccepting();
        listeners.list().forEach(Listener::close);
    }

    private Binding start(Frontend frontend, EndpointTable table) {
        if (frontend.protocol() != Protocol.TCP) {
            throw new IllegalArgumentException("not a TCP frontend: " + frontend);
        }
        Listener listener = new Listener(frontend, table);
        FileDescriptor handedOver = inherited.take(frontend);
        ServerBootstrap b = new ServerBootstrap()
                .group(transport.group())
                .channelFactory(handedOver != null
                        ? () -> transport.adoptServerChannel(handedOver.intValue())
                        : () -> transport.newServerChannel(frontend.socketAddress().getAddress(), options.freeBind()))
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.ALLOCATOR, transport.allocator())
                .handler(acceptBackoff)
                .childOption(ChannelOption.ALLOCATOR, transport.allocator())
                // TCP_NODELAY is on already: Netty's socket channel configs enable it when they are created.
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(RELAY, new FrontendHandler(TcpDataPlane.this, listener));
                    }
                });
        if (handedOver != null) {
            // Bound and listening already, its accept queue intact: registering it is all it needs.
            return new Binding(listener, b.register());
        }
        return new Binding(listener, b.bind(frontend.socketAddress()));
    }
}
