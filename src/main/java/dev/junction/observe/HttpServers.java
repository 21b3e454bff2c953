package dev.junction.observe;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
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
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The small HTTP servers of the operational surface (metrics, health, health-check node ports), all on
 * one event loop of their own so they never compete with the data plane. GET and HEAD only; a handler
 * answers a whole response at once. Thread-safe.
 */
public final class HttpServers implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HttpServers.class);

    private final EventLoopGroup group =
            new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("junction-http", true), NioIoHandler.newFactory());

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
     * Binds {@code address} (port 0: an ephemeral port) and serves {@code handler} there; returns once bound.
     *
     * @throws IOException naming the address when it cannot be bound
     */
    public Channel bind(InetSocketAddress address, Handler handler) throws IOException {
        ChannelFuture bound = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(16 * 1024),
                                new Responder(handler));
                    }
                })
                .bind(address).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            throw new IOException("cannot listen on " + NetUtil.toSocketAddressString(address) + ": "
                    + bound.cause().getMessage(), bound.cause());
        }
        return bound.channel();
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    private static final class Responder extends SimpleChannelInboundHandler<FullHttpRequest> {

        private final Handler handler;

        Responder(Handler handler) {
            this.handler = handler;
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
