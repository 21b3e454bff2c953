package dev.junction.bench.loadgen;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The backends every proxy under test forwards to: TCP echo ports, a TCP source port that streams data
 * as fast as the reader takes it, and UDP echo ports. Runs until killed.
 */
@Command(name = "backend", mixinStandardHelpOptions = true, description = "Echo/source backends for benchmarks.")
final class Backend implements Callable<Integer> {

    @Option(names = "--host", defaultValue = "127.0.0.1")
    String host;

    @Option(names = "--echo-ports", split = ",")
    List<Integer> echoPorts = List.of();

    @Option(names = "--source-port", defaultValue = "0", description = "0 = none")
    int sourcePort;

    @Option(names = "--udp-ports", split = ",")
    List<Integer> udpPorts = List.of();

    @Option(names = "--threads", defaultValue = "1")
    int threads;

    @Override
    public Integer call() throws Exception {
        EventLoopGroup group = Net.group(threads);
        for (int port : echoPorts) {
            tcp(group, port, Echo.INSTANCE);
        }
        if (sourcePort > 0) {
            tcp(group, sourcePort, new Source());
        }
        for (int port : udpPorts) {
            new Bootstrap().group(group).channelFactory(Net.datagrams()).handler(new UdpEcho())
                    .bind(new InetSocketAddress(host, port)).sync();
        }
        System.out.println("backend ready: echo " + echoPorts + ", source " + sourcePort + ", udp " + udpPorts);
        Thread.currentThread().join();
        return 0;
    }

    private void tcp(EventLoopGroup group, int port, ChannelHandler handler) throws InterruptedException {
        new ServerBootstrap().group(group).channelFactory(Net.servers())
                .option(ChannelOption.SO_BACKLOG, 4096).option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(handler).bind(new InetSocketAddress(host, port)).sync();
    }

    @ChannelHandler.Sharable
    static final class Echo extends ChannelInboundHandlerAdapter {
        static final Echo INSTANCE = new Echo();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg, ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Writes 64 KiB chunks while the connection is writable. */
    @ChannelHandler.Sharable
    static final class Source extends ChannelInboundHandlerAdapter {
        private final ByteBuf chunk = PooledByteBufAllocator.DEFAULT.directBuffer(65536).writeZero(65536);

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            fill(ctx.channel());
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            fill(ctx.channel());
        }

        private void fill(Channel ch) {
            while (ch.isActive() && ch.isWritable()) {
                ch.write(chunk.retainedDuplicate(), ch.voidPromise());
            }
            ch.flush();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ((ByteBuf) msg).release();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @ChannelHandler.Sharable
    static final class UdpEcho extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            DatagramPacket p = (DatagramPacket) msg;
            ctx.write(new DatagramPacket(p.content(), p.sender()), ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }
    }
}
