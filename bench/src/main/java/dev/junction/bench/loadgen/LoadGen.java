package dev.junction.bench.loadgen;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Junction's load generator: TCP request/response (closed or open loop), connections per second, bulk
 * throughput and UDP request/response against any L4 target, plus the backends they talk to. One event
 * loop, so the generator's own cost is one core; latencies in an HdrHistogram, warm-up discarded.
 */
@Command(name = "loadgen", mixinStandardHelpOptions = true,
        description = "Load generator and backends for proxy benchmarks.",
        subcommands = {LoadGen.Rr.class, LoadGen.Cps.class, LoadGen.Bulk.class, LoadGen.Udp.class, Hold.class,
            Backend.class, Table.class})
public final class LoadGen {

    public static void main(String[] args) {
        System.exit(new CommandLine(new LoadGen()).execute(args));
    }

    /** Options every workload shares. */
    abstract static class Workload implements Callable<Integer> {
        @Option(names = "--target", required = true, description = "host:port to load")
        String target;

        @Option(names = "--duration", defaultValue = "10", description = "measured seconds (default ${DEFAULT-VALUE})")
        double durationSeconds;

        @Option(names = "--warmup", defaultValue = "2", description = "seconds discarded first (default ${DEFAULT-VALUE})")
        double warmupSeconds;

        @Option(names = "--size", defaultValue = "64", description = "request and response bytes (default ${DEFAULT-VALUE})")
        int size;

        @Option(names = "--label", defaultValue = "run", description = "name in the report")
        String label;

        @Option(names = "--json", description = "also write the result as JSON to this file")
        Path json;

        @Option(names = "--proxy-pid", defaultValue = "0",
                description = "report this process's CPU use (all threads) over the measured window")
        int proxyPid;

        final Recorder recorder = new Recorder();
        EventLoopGroup group;
        EventLoop loop;
        ByteBuf request;
        volatile boolean running = true;

        abstract String mode();

        /** Starts the load on {@link #loop}; called on the loop. */
        abstract void start(InetSocketAddress target) throws Exception;

        void stopLoad() {
        }

        @Override
        public Integer call() throws Exception {
            InetSocketAddress address = Net.address(target);
            group = Net.group(1);
            loop = group.next();
            request = PooledByteBufAllocator.DEFAULT.directBuffer(size).writeZero(size);
            try {
                loop.submit(() -> {
                    start(address);
                    return null;
                }).sync();
                long warmupNanos = (long) (warmupSeconds * 1e9);
                long measureNanos = (long) (durationSeconds * 1e9);
                ProcessCpu cpu = new ProcessCpu(proxyPid);
                loop.schedule(() -> {
                    cpu.start();
                    recorder.startMeasuring(System.nanoTime());
                }, warmupNanos, TimeUnit.NANOSECONDS);
                loop.schedule(() -> {
                    recorder.stop(System.nanoTime());
                    recorder.proxyCpu(cpu.coresSinceStart());
                    running = false;
                    stopLoad();
                }, warmupNanos + measureNanos, TimeUnit.NANOSECONDS).sync();
                String line = recorder.report(label, mode());
                System.out.println(line);
                if (json != null) {
                    recorder.write(json, label, mode());
                }
                return 0;
            } finally {
                request.release();
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            }
        }

        Bootstrap tcp(ChannelHandler handler) {
            return new Bootstrap().group(loop).channelFactory(Net.sockets())
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5_000)
                    .handler(handler);
        }
    }

    /** A ring of send times per connection: responses to pipelined requests come back in order. */
    static final class LongRing {
        private long[] items = new long[16];
        private int head;
        private int size;

        void add(long v) {
            if (size == items.length) {
                long[] grown = new long[items.length * 2];
                for (int i = 0; i < size; i++) {
                    grown[i] = items[(head + i) % items.length];
                }
                items = grown;
                head = 0;
            }
            items[(head + size++) % items.length] = v;
        }

        long poll() {
            long v = items[head];
            head = (head + 1) % items.length;
            size--;
            return v;
        }

        boolean isEmpty() {
            return size == 0;
        }
    }

    @Command(name = "rr", mixinStandardHelpOptions = true,
            description = "TCP request/response over keep-alive connections: closed loop, or open loop with --rate "
                    + "(latency from the intended send time).")
    static final class Rr extends Workload {
        @Option(names = "--connections", defaultValue = "64")
        int connections;

        @Option(names = "--rate", defaultValue = "0", description = "requests/s in total for open loop; 0 = closed loop")
        double rate;

        private final List<Channel> channels = new ArrayList<>();
        private long openStart;
        private long sent;

        @Override
        String mode() {
            return rate > 0 ? "rr-open" : "rr";
        }

        @Override
        void start(InetSocketAddress target) throws Exception {
            for (int i = 0; i < connections; i++) {
                ChannelFuture f = tcp(new RrHandler()).connect(target);
                channels.add(f.channel());
            }
            if (rate > 0) {
                openStart = System.nanoTime();
                loop.scheduleAtFixedRate(this::sendDue, 1, 1, TimeUnit.MILLISECONDS);
            }
        }

        private void sendDue() {
            if (!running) {
                return;
            }
            long now = System.nanoTime();
            long due = (long) ((now - openStart) / 1e9 * rate);
            for (; sent < due; sent++) {
                Channel ch = channels.get((int) (sent % channels.size()));
                long intended = openStart + (long) (sent * 1e9 / rate);
                if (ch.isActive()) {
                    ((RrHandler) ch.pipeline().last()).send(ch, intended);
                } else {
                    recorder.error();
                }
            }
        }

        @Override
        void stopLoad() {
            channels.forEach(Channel::close);
        }

        final class RrHandler extends ChannelInboundHandlerAdapter {
            private final LongRing sentAt = new LongRing();
            private int received;

            void send(Channel ch, long intendedNanos) {
                sentAt.add(intendedNanos);
                ch.writeAndFlush(request.retainedDuplicate(), ch.voidPromise());
            }

            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                if (rate <= 0) {
                    send(ctx.channel(), System.nanoTime());
                }
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf b = (ByteBuf) msg;
                received += b.readableBytes();
                b.release();
                long now = System.nanoTime();
                while (received >= size && !sentAt.isEmpty()) {
                    received -= size;
                    recorder.operation(now - sentAt.poll());
                    if (rate <= 0 && running) {
                        send(ctx.channel(), now);
                    }
                }
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                recorder.error();
                ctx.close();
            }
        }
    }

    @Command(name = "cps", mixinStandardHelpOptions = true,
            description = "New connection per request: connect, one exchange, close; --concurrency at a time.")
    static final class Cps extends Workload {
        @Option(names = "--concurrency", defaultValue = "32")
        int concurrency;

        private InetSocketAddress address;

        @Override
        String mode() {
            return "cps";
        }

        @Override
        void start(InetSocketAddress target) {
            address = target;
            for (int i = 0; i < concurrency; i++) {
                next();
            }
        }

        private void next() {
            if (!running) {
                return;
            }
            long start = System.nanoTime();
            tcp(new OneShot(start)).option(ChannelOption.SO_LINGER, 0).connect(address).addListener(f -> {
                if (!f.isSuccess()) {
                    recorder.error();
                    next();
                }
            });
        }

        final class OneShot extends ChannelInboundHandlerAdapter {
            private final long start;
            private int received;
            private boolean done;

            OneShot(long start) {
                this.start = start;
            }

            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                ctx.writeAndFlush(request.retainedDuplicate(), ctx.voidPromise());
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf b = (ByteBuf) msg;
                received += b.readableBytes();
                b.release();
                if (received >= size && !done) {
                    done = true;
                    recorder.operation(System.nanoTime() - start);
                    ctx.close();
                }
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                if (!done) {
                    recorder.error();
                }
                next();
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();
            }
        }
    }

    @Command(name = "bulk", mixinStandardHelpOptions = true,
            description = "Bulk download from a source backend: Gbit/s over --streams connections.")
    static final class Bulk extends Workload {
        @Option(names = "--streams", defaultValue = "1")
        int streams;

        private final List<Channel> channels = new ArrayList<>();

        @Override
        String mode() {
            return "bulk";
        }

        @Override
        void start(InetSocketAddress target) {
            for (int i = 0; i < streams; i++) {
                channels.add(tcp(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        recorder.bytes(((ByteBuf) msg).readableBytes());
                        ReferenceCountUtil.release(msg);
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        recorder.error();
                        ctx.close();
                    }
                }).connect(target).channel());
            }
        }

        @Override
        void stopLoad() {
            channels.forEach(Channel::close);
        }
    }

    @Command(name = "udp", mixinStandardHelpOptions = true,
            description = "UDP request/response, closed loop over --sockets client sockets; a reply lost for 200 ms "
                    + "counts as an error and the request is sent again.")
    static final class Udp extends Workload {
        @Option(names = "--sockets", defaultValue = "64")
        int sockets;

        private final List<Channel> channels = new ArrayList<>();

        @Override
        String mode() {
            return "udp";
        }

        @Override
        void start(InetSocketAddress target) {
            for (int i = 0; i < sockets; i++) {
                UdpHandler h = new UdpHandler(target);
                ChannelFuture bound = new Bootstrap().group(loop).channelFactory(Net.datagrams()).handler(h)
                        .bind(new InetSocketAddress(target.getAddress(), 0));
                channels.add(bound.channel());
                // Runs on the loop: it cannot wait for the bind, so the first request goes when it is done.
                bound.addListener(f -> {
                    if (f.isSuccess()) {
                        h.send(bound.channel());
                    } else {
                        recorder.error();
                    }
                });
            }
            loop.scheduleAtFixedRate(() -> {
                long now = System.nanoTime();
                for (Channel ch : channels) {
                    ((UdpHandler) ch.pipeline().last()).checkLost(ch, now);
                }
            }, 100, 100, TimeUnit.MILLISECONDS);
        }

        @Override
        void stopLoad() {
            channels.forEach(Channel::close);
        }

        final class UdpHandler extends ChannelInboundHandlerAdapter {
            private final InetSocketAddress target;
            private long sentAt;

            UdpHandler(InetSocketAddress target) {
                this.target = target;
            }

            void send(Channel ch) {
                sentAt = System.nanoTime();
                ch.writeAndFlush(new DatagramPacket(request.retainedDuplicate(), target), ch.voidPromise());
            }

            void checkLost(Channel ch, long now) {
                if (running && now - sentAt > Duration.ofMillis(200).toNanos()) {
                    recorder.error();
                    send(ch);
                }
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ReferenceCountUtil.release(msg);
                recorder.operation(System.nanoTime() - sentAt);
                if (running) {
                    send(ctx.channel());
                }
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                recorder.error();
            }
        }
    }
}
