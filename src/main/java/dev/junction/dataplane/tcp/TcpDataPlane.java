package dev.junction.dataplane.tcp;

import dev.junction.dataplane.DataPlane;
import dev.junction.dataplane.FrontendBindException;
import dev.junction.dataplane.FrontendHandle;
import dev.junction.dataplane.Listener;
import dev.junction.dataplane.Transport;
import dev.junction.lb.EndpointTable;
import dev.junction.model.Frontend;
import dev.junction.model.Protocol;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

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
    /** Each event loop's idle sweep; null when connections may idle forever. */
    private final FastThreadLocal<IdleSweep> idleSweeps;

    public TcpDataPlane(Transport transport, TcpOptions options) {
        if (options.freeBind() && transport.freeBind() == null) {
            throw new IllegalArgumentException("IP_FREEBIND needs the io_uring or epoll transport, this is "
                    + transport.name());
        }
        this.transport = transport;
        this.options = options;
        this.connectTimeoutMillis = (int) options.connectTimeout().toMillis();
        long idleNanos = saturatedNanos(options.idleTimeout());
        this.idleSweeps = idleNanos == 0 ? null : new FastThreadLocal<>() {
            @Override
            protected IdleSweep initialValue() {
                return new IdleSweep(idleNanos);
            }
        };
    }

    /** Nanoseconds of {@code d}, capped: an idle timeout beyond ~292 years means never, not a crash. */
    private static long saturatedNanos(java.time.Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** The calling event loop's idle sweep, or null when the idle timeout is off. Call on an event loop. */
    IdleSweep idleSweep() {
        return idleSweeps == null ? null : idleSweeps.get();
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

    /** Client connections open now, on every listener (closed listeners included); for a graceful drain. */
    public long activeConnections() {
        return active.sum();
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

    private static FrontendHandle finish(Binding binding) throws FrontendBindException {
        ChannelFuture bound = binding.future().awaitUninterruptibly();
        if (!bound.isSuccess()) {
            throw new FrontendBindException(binding.listener().frontend(), bound.cause());
        }
        binding.listener().bound(bound.channel());
        return binding.listener();
    }

    private Binding start(Frontend frontend, EndpointTable table) {
        if (frontend.protocol() != Protocol.TCP) {
            throw new IllegalArgumentException("not a TCP frontend: " + frontend);
        }
        Listener listener = new Listener(frontend, table);
        ServerBootstrap b = new ServerBootstrap()
                .group(transport.group())
                .channelFactory(() -> transport.newServerChannel(frontend.socketAddress().getAddress()))
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.ALLOCATOR, transport.allocator())
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
        if (options.freeBind()) {
            b.option(transport.freeBind(), true);
        }
        return new Binding(listener, b.bind(frontend.socketAddress()));
    }
}
