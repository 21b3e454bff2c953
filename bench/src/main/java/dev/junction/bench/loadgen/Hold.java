package dev.junction.bench.loadgen;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Opens {@code --connections} connections to a target, completes one small exchange on each (so a proxy
 * has both sides established), prints {@code held N}, and keeps them idle until standard input closes or
 * {@code --seconds} pass. For measuring what an idle proxied connection costs.
 */
@Command(name = "hold", mixinStandardHelpOptions = true, description = "Hold many idle connections open.")
final class Hold implements Callable<Integer> {

    @Option(names = "--target", required = true)
    String target;

    @Option(names = "--connections", defaultValue = "5000")
    int connections;

    @Option(names = "--seconds", defaultValue = "120")
    int seconds;

    @Override
    public Integer call() throws Exception {
        InetSocketAddress address = Net.address(target);
        EventLoopGroup group = Net.group(1);
        CountDownLatch exchanged = new CountDownLatch(connections);
        // At most 256 handshakes in flight: a burst of SYNs beyond the backlog would only be retried.
        Semaphore inFlight = new Semaphore(256);
        try {
            for (int i = 0; i < connections; i++) {
                inFlight.acquire();
                new Bootstrap().group(group).channelFactory(Net.sockets()).option(ChannelOption.TCP_NODELAY, true)
                        .handler(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelActive(ChannelHandlerContext ctx) {
                                ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {'x'}));
                            }

                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ((ByteBuf) msg).release();
                                inFlight.release();
                                exchanged.countDown();
                            }
                        })
                        .connect(address).addListener(f -> {
                            if (!f.isSuccess()) {
                                System.err.println("connect failed: " + f.cause());
                                inFlight.release();
                            }
                        });
            }
            if (!exchanged.await(120, TimeUnit.SECONDS)) {
                System.out.println("held " + (connections - exchanged.getCount()) + " (incomplete)");
            } else {
                System.out.println("held " + connections);
            }
            System.out.flush();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < deadline && System.in.read() >= 0) {
                // Wait for the parent to close our standard input.
            }
            return 0;
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
