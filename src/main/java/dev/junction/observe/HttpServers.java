package dev.junction.observe;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.UnixChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The small HTTP servers of the operational surface (metrics, health, health-check node ports), all on
 * one event loop of their own so they never compete with the data plane. GET and HEAD only; a handler
 * answers a whole response at once.
 *
 * <p>Being reachable from anywhere (the health port is {@code 0.0.0.0:10256}), they hold at most
 * {@link #maxConnections} connections together, a small share of the open-files limit that leaves the rest
 * to the data plane. At that cap a new connection is still admitted, and the oldest connection of the
 * server holding the most is closed: a kubelet probe opens a fresh connection and asks at once, so whoever
 * holds connections open cannot keep it out, and a flood at one port never closes another port's
 * connections. A request must arrive complete within the request timeout of the connection opening or of
 * the previous answer, so idle, trickled (slowloris) and never-read connections do not stay. None of this
 * logs per event: a counter each, and one rate-limited line. Thread-safe; the connection bookkeeping is
 * confined to the one event loop.
 */
public final class HttpServers implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HttpServers.class);

    /** The operational servers' share of the open-files limit is 1/DESCRIPTOR_SHARE of it, within the bounds below. */
    public static final int DESCRIPTOR_SHARE = 64;
    /** Few enough for a limit of 1024; probes and scrapes need a handful. */
    public static final int MIN_CONNECTIONS = 16;
    /** A kubelet's probes and a few Prometheus scrapers need far fewer, whatever the limit. */
    public static final int MAX_CONNECTIONS = 256;
    /** A kubelet probe's default timeout is 1 s; a client that takes longer to send a request has none to send. */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration LOG_INTERVAL = Duration.ofSeconds(10);

    /**
     * Epoll where it works, so a server's listening socket can be handed to the next Junction and adopted by it
     * (NIO can do neither); else NIO.
     */
    private static final boolean EPOLL = Epoll.isAvailable();
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
            new DefaultThreadFactory("junction-http", true), EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    /** Listening sockets a predecessor handed over, by address; consulted by {@link #bind}. */
    private volatile Function<InetSocketAddress, FileDescriptor> handedOver = address -> null;
    private final int maxConnections;
    private final long requestTimeoutNanos;
    /** Open connections of each server, oldest first; only touched on the event loop. */
    private final Map<Channel, LinkedHashSet<Channel>> open = new HashMap<>();
    private int openCount;
    private final AtomicLong openNow = new AtomicLong();
    private final AtomicLong evicted = new AtomicLong();
    private final AtomicLong timedOut = new AtomicLong();
    private final RateLimitedLog evictionLog = new RateLimitedLog(log, LOG_INTERVAL);
    private final AcceptBackoff acceptBackoff = new AcceptBackoff(log, "operational HTTP server");

    /**
     * Servers with the connection cap that an open-files limit of {@code openFilesLimit} allows (-1: unknown, the
     * largest cap) and the default request timeout.
     */
    public HttpServers(long openFilesLimit) {
        this(maxConnections(openFilesLimit), REQUEST_TIMEOUT);
    }

    HttpServers(int maxConnections, Duration requestTimeout) {
        this.maxConnections = maxConnections;
        this.requestTimeoutNanos = requestTimeout.toNanos();
    }

    /**
     * The cap on operational connections for an open-files limit: 1/{@value #DESCRIPTOR_SHARE} of it,
     * between {@value #MIN_CONNECTIONS} and {@value #MAX_CONNECTIONS} ({@value #MAX_CONNECTIONS} when unknown, -1).
     */
    public static int maxConnections(long openFilesLimit) {
        if (openFilesLimit < 0) {
            return MAX_CONNECTIONS;
        }
        return (int) Math.max(MIN_CONNECTIONS, Math.min(MAX_CONNECTIONS, openFilesLimit / DESCRIPTOR_SHARE));
    }

    /** The cap on connections of all servers together. */
    public int maxConnections() {
        return maxConnections;
    }

    /** Connections open now, on all servers. */
    public long openConnections() {
        return openNow.get();
    }

    /** Connections closed to admit a new one at the cap. */
    public long evictedConnections() {
        return evicted.get();
    }

    /** Connections closed because no complete request arrived within the request timeout. */
    public long timedOutConnections() {
        return timedOut.get();
    }

    /** Accepts that failed (descriptors exhausted); each pauses accepting for a moment. */
    public long acceptFailures() {
        return acceptBackoff.failures();
    }

    /** A request as handlers see it. */
    public record Request(String path, String accept) {
    }

    /** A complete response. */
    public record Reply(int status, String contentType, Map<String, String> headers, byte[] body) {

        public static Reply text(int status, String contentType, String body) {
            return new Reply(status, contentType, Map.of(), body.getBytes(StandardCharsets.UTF_8));
        }

        public static Reply json(int status, String body) {
            return text(status, "application/json", body);
        }

        static Reply notFound() {
            return text(404, "text/plain; charset=utf-8", "404 page not found\n");
        }
    }

    /** Answers one request; runs on the HTTP event loop, so it must not block for long. */
    @FunctionalInterface
    public interface Handler {
        Reply handle(Request request);
    }

    /**
     * From now on, {@link #bind} adopts the socket {@code sockets} returns for an address (a predecessor's, handed
     * over) rather than binding one; null: binds.
     */
    public void adoptFrom(Function<InetSocketAddress, FileDescriptor> sockets) {
        this.handedOver = sockets;
    }

    /** The listening socket's descriptor of {@code server} (a channel {@link #bind} returned); null on NIO. */
    public static FileDescriptor descriptor(Channel server) {
        return server instanceof UnixChannel unix ? unix.fd() : null;
    }

    /**
     * Binds {@code address} (port 0: an ephemeral port), or adopts the socket handed over for it, and serves
     * {@code handler} there; returns once listening.
     *
     * @throws IOException naming the address when it cannot be bound
     */
    public Channel bind(InetSocketAddress address, Handler handler) throws IOException {
        FileDescriptor adopted = EPOLL ? handedOver.apply(address) : null;
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channelFactory(() -> adopted != null ? new EpollServerSocketChannel(adopted.intValue())
                        : EPOLL ? new EpollServerSocketChannel() : new NioServerSocketChannel())
                .option(ChannelOption.SO_REUSEADDR, true)
                .handler(acceptBackoff)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        admit(ch);
                        RequestDeadline deadline = new RequestDeadline();
                        ch.pipeline().addLast(deadline, new HttpServerCodec(), new HttpObjectAggregator(16 * 1024),
                                new Responder(handler, deadline));
                    }
                });
        ChannelFuture bound = (adopted != null ? b.register() : b.bind(address)).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            throw new IOException("cannot listen on " + NetUtil.toSocketAddressString(address) + ": "
                    + bound.cause().getMessage(), bound.cause());
        }
        return bound.channel();
    }

    /**
     * Closes {@code server} and the connections it accepted, and returns once done: a successor holds a copy of
     * its listening socket and answers from now on, and a client keeping a connection alive (a load balancer's
     * health checker) must reconnect to reach it rather than keep hearing this process.
     */
    public void handOver(Channel server) {
        server.eventLoop().submit(() -> {
            server.close();
            LinkedHashSet<Channel> connections = open.get(server);
            if (connections != null) {
                List.copyOf(connections).forEach(Channel::close);
            }
        }).awaitUninterruptibly();
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    /** Counts {@code ch} among its server's connections, first closing the one that makes room at the cap. */
    private void admit(Channel ch) {
        if (openCount >= maxConnections) {
            LinkedHashSet<Channel> fullest = null;
            for (LinkedHashSet<Channel> connections : open.values()) {
                if (fullest == null || connections.size() > fullest.size()) {
                    fullest = connections;
                }
            }
            Channel oldest = fullest.iterator().next();
            forget(oldest);
            oldest.close();
            evicted.incrementAndGet();
            evictionLog.warn("operational HTTP servers at their cap of {} connections: closing the oldest on {} "
                    + "({} open there) to admit a new one", maxConnections,
                    NetUtil.toSocketAddressString((InetSocketAddress) oldest.parent().localAddress()),
                    fullest.size() + 1);
        }
        open.computeIfAbsent(ch.parent(), server -> new LinkedHashSet<>()).add(ch);
        openCount++;
        openNow.set(openCount);
        ch.closeFuture().addListener(f -> forget(ch));
    }

    private void forget(Channel ch) {
        LinkedHashSet<Channel> connections = open.get(ch.parent());
        if (connections != null && connections.remove(ch)) {
            openCount--;
            openNow.set(openCount);
            if (connections.isEmpty()) {
                open.remove(ch.parent());
            }
        }
    }

    /**
     * Closes the connection unless a complete request arrives within the request timeout of it opening or
     * of the previous answer: covers an idle kept-alive connection, a request trickled byte by byte, and
     * a client that never reads its answer.
     */
    private final class RequestDeadline extends ChannelInboundHandlerAdapter {

        private ChannelHandlerContext ctx;
        private ScheduledFuture<?> timer;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
            restart();
        }

        /** A request was answered: the next one has the whole timeout again. */
        void restart() {
            cancel();
            timer = ctx.executor().schedule(() -> {
                timedOut.incrementAndGet();
                ctx.close();
            }, requestTimeoutNanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            cancel();
            ctx.fireChannelInactive();
        }

        private void cancel() {
            if (timer != null) {
                timer.cancel(false);
            }
        }
    }

    private static final class Responder extends SimpleChannelInboundHandler<FullHttpRequest> {

        private final Handler handler;
        private final RequestDeadline deadline;

        Responder(Handler handler, RequestDeadline deadline) {
            this.handler = handler;
            this.deadline = deadline;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            Reply reply;
            boolean head = req.method().equals(HttpMethod.HEAD);
            if (!head && !req.method().equals(HttpMethod.GET)) {
                reply = Reply.text(405, "text/plain; charset=utf-8", "method not allowed\n");
            } else {
                try {
                    String accept = req.headers().get(HttpHeaderNames.ACCEPT, "");
                    reply = handler.handle(new Request(new QueryStringDecoder(req.uri()).path(), accept));
                } catch (RuntimeException e) {
                    log.warn("HTTP {} {} failed", req.method(), req.uri(), e);
                    reply = Reply.text(500, "text/plain; charset=utf-8", "internal error\n");
                }
            }
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(reply.status()),
                    head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(reply.body()));
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, reply.contentType());
            res.headers().set(HttpHeaderNames.CONTENT_LENGTH, reply.body().length);
            res.headers().set("X-Content-Type-Options", "nosniff");
            reply.headers().forEach((k, v) -> res.headers().set(k, v));
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            if (keepAlive) {
                deadline.restart();
                res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
                ctx.writeAndFlush(res);
            } else {
                ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
