package dev.junction.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * HTTPS with HTTP/2 negotiated by ALPN in front of a {@link FakeApiServer}, as kube-apiserver serves OkHttp:
 * TLS with a serving certificate of a {@link TestPki} CA, optionally requiring a client certificate of that CA
 * (as the API server's client-CA authenticator; a client without one fails the handshake here, which is stricter
 * than kube-apiserver and enough to show the certificate was sent and verified). Each HTTP/2 stream is forwarded
 * as one HTTP/1.1 request to the fake, headers included so its token check applies, and the answer is streamed
 * back; a watch the fake resets resets its stream only, as when kube-apiserver ends one watch of a connection.
 * Only {@code h2} is offered: a client that falls back to HTTP/1.1 fails. Thread-safe; one event loop thread.
 */
public final class TlsFront implements AutoCloseable {

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final InetSocketAddress backend;
    private final Channel server;
    private final AtomicLong streams = new AtomicLong();
    private final List<String> clientSubjects = new CopyOnWriteArrayList<>();

    private TlsFront(FakeApiServer api, TestPki pki, boolean requireClientCertificate)
            throws SSLException, InterruptedException {
        URI uri = URI.create(api.url());
        backend = new InetSocketAddress(uri.getHost(), uri.getPort());
        TestPki.Issued serving = pki.server();
        SslContext ssl = SslContextBuilder.forServer(serving.key(), serving.certificate())
                .sslProvider(SslProvider.JDK)
                .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        ApplicationProtocolNames.HTTP_2))
                .trustManager(pki.ca())
                .clientAuth(requireClientCertificate ? ClientAuth.REQUIRE : ClientAuth.NONE)
                .build();
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        SslHandler tls = ssl.newHandler(ch.alloc());
                        tls.handshakeFuture().addListener(done -> {
                            if (done.isSuccess() && requireClientCertificate) {
                                recordClient(tls);
                            }
                        });
                        ch.pipeline().addLast(tls, Http2FrameCodecBuilder.forServer().build(),
                                new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                                    @Override
                                    protected void initChannel(Http2StreamChannel stream) {
                                        streams.incrementAndGet();
                                        stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true),
                                                new Forward());
                                    }
                                }));
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
    }

    /** A front for {@code api} with a serving certificate of {@code pki}; see the class comment. */
    public static TlsFront start(FakeApiServer api, TestPki pki, boolean requireClientCertificate) {
        try {
            return new TlsFront(api, pki, requireClientCertificate);
        } catch (SSLException e) {
            throw new IllegalStateException("cannot set up TLS", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public String url() {
        return "https://127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** HTTP/2 streams opened so far: every request arrives on one. */
    public long streams() {
        return streams.get();
    }

    /** The subject of each verified client certificate, per connection. */
    public List<String> clientSubjects() {
        return List.copyOf(clientSubjects);
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private void recordClient(SslHandler tls) {
        try {
            clientSubjects.add(((X509Certificate) tls.engine().getSession().getPeerCertificates()[0])
                    .getSubjectX500Principal().getName());
        } catch (SSLPeerUnverifiedException e) {
            clientSubjects.add("unverified: " + e.getMessage());
        }
    }

    /** One stream: its request to the fake on a connection of its own, the answer back on the stream. */
    private final class Forward extends ChannelInboundHandlerAdapter {
        private Channel upstream;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpRequest request && upstream == null) {
                    open(ctx.channel(), request);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void open(Channel stream, HttpRequest request) {
            FullHttpRequest forwarded = new DefaultFullHttpRequest(request.protocolVersion(), request.method(),
                    request.uri());
            forwarded.headers().set(request.headers());
            forwarded.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            forwarded.headers().set(HttpHeaderNames.HOST, backend.getHostString() + ':' + backend.getPort());
            upstream = new Bootstrap().group(stream.eventLoop()).channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpClientCodec(), new Answer(stream));
                        }
                    })
                    .connect(backend).addListener((ChannelFutureListener) f -> {
                        if (f.isSuccess()) {
                            f.channel().writeAndFlush(forwarded);
                        } else {
                            forwarded.release();
                            stream.close();
                        }
                    }).channel();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            // The client cancelled the stream (a watch it closed): the fake sees its connection go.
            if (upstream != null) {
                upstream.close();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** The fake's answer, written to the stream as it arrives; a connection that ends early resets the stream. */
    private static final class Answer extends ChannelInboundHandlerAdapter {
        private final Channel stream;
        private boolean complete;

        Answer(Channel stream) {
            this.stream = stream;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpObject) {
                complete |= msg instanceof LastHttpContent;
                stream.writeAndFlush(msg);
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!complete) {
                stream.close();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
