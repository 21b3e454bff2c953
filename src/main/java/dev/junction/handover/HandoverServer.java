package dev.junction.handover;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.time.Duration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running Junction's end of a handover: listens on the handover socket and, to the first new Junction that
 * asks in this protocol's version, describes its listening sockets and passes their descriptors; once that one
 * says it holds them, tells the {@link Offer} and stops listening. A peer that goes away before that changes
 * nothing: this process keeps serving. Runs on one epoll event loop; {@link #close} from any thread.
 */
public final class HandoverServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HandoverServer.class);

    /** What this process hands over; called on the handover's event loop, so it must be thread-safe. */
    public interface Offer {
        /** The listening sockets right now, with their descriptors (this process keeps its own copies). */
        List<Offered> sockets();

        /** The new process holds the sockets: stop accepting and drain. Called at most once. */
        void taken();
    }

    /** A socket offered, and its descriptor in this process. */
    public record Offered(HandedSocket socket, FileDescriptor fd) {
    }

    /**
     * How long one exchange may take, from connecting to {@code TAKEN}: twice what a new Junction waits. A peer
     * that stalls mid-way (stopped, hung, or not a Junction at all) would otherwise hold the one-at-a-time
     * handover, and every later successor would be refused.
     */
    public static final Duration EXCHANGE_DEADLINE = Duration.ofSeconds(20);

    private final Path path;
    private final Channel channel;
    private final Offer offer;
    private final Duration deadline;
    /** The exchange under way, counted down when it ends; null when none. One at a time, and one that completes. */
    private final AtomicReference<CountDownLatch> underWay = new AtomicReference<>();
    /** The socket file's identity (device and inode), to tell it from a successor's at the same path. */
    private volatile Object fileKey;

    private HandoverServer(Path path, Channel channel, Offer offer, Duration deadline) {
        this.path = path;
        this.channel = channel;
        this.offer = offer;
        this.deadline = deadline;
    }

    /**
     * Listens on {@code path}, replacing any file there: the newest Junction owns the path (a predecessor still
     * running keeps its already accepted connection, and is about to be stopped). The socket is bound under a
     * name of this process's own and renamed into place, which replaces the old file atomically, so a new
     * Junction never finds the path missing; and since Netty deletes the name it bound when its channel closes,
     * closing this server never deletes a successor's socket.
     *
     * @param group an epoll event loop group (UNIX sockets with descriptor passing need epoll)
     * @throws IOException naming the path when it cannot listen there
     */
    public static HandoverServer listen(Path path, EventLoopGroup group, Offer offer) throws IOException {
        return listen(path, group, offer, EXCHANGE_DEADLINE);
    }

    static HandoverServer listen(Path path, EventLoopGroup group, Offer offer, Duration deadline) throws IOException {
        Path bound = path.resolveSibling(path.getFileName() + "." + ProcessHandle.current().pid());
        try {
            Path dir = path.toAbsolutePath().getParent();
            if (dir != null) {
                Files.createDirectories(dir);
            }
            Files.deleteIfExists(bound);
        } catch (IOException e) {
            throw new IOException("cannot listen on handover socket " + path + ": " + e, e);
        }
        HandoverServer[] server = new HandoverServer[1];
        Channel ch = new ServerBootstrap()
                .group(group)
                .channel(EpollServerDomainSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        Wire.lines(ch);
                        ch.pipeline().addLast(server[0].new Exchange());
                    }
                })
                .bind(new DomainSocketAddress(bound.toFile()))
                .awaitUninterruptibly().channel();
        if (!ch.isActive()) {
            throw new IOException("cannot listen on handover socket " + path + ": " + ch.closeFuture().cause());
        }
        server[0] = new HandoverServer(path, ch, offer, deadline);
        try {
            Files.move(bound, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            server[0].fileKey = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            ch.close().awaitUninterruptibly();
            throw new IOException("cannot listen on handover socket " + path + ": " + e, e);
        }
        return server[0];
    }

    public Path path() {
        return path;
    }

    /** Stops listening and removes the socket file, unless a newer Junction has replaced it. */
    @Override
    public void close() {
        stopListening();
        channel.close().awaitUninterruptibly();
    }

    /** Whether a new Junction is taking the sockets right now (it has said hello and not yet finished or gone). */
    public boolean exchangeUnderWay() {
        return underWay.get() != null;
    }

    /**
     * Waits until the exchange under way (if any) ends, the new Junction holding the sockets ({@link Offer#taken}
     * has returned) or gone, at most {@code timeout}.
     */
    public void awaitExchange(Duration timeout) throws InterruptedException {
        CountDownLatch ended = underWay.get();
        if (ended != null) {
            ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Removes the socket file when it is still this server's, so no new Junction tries a socket nobody serves. */
    private void stopListening() {
        try {
            if (Objects.equals(Files.readAttributes(path, BasicFileAttributes.class).fileKey(), fileKey)) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            // Gone already, or replaced and then removed by a successor: either way not ours to remove.
        }
        channel.close();
    }

    /** One new Junction's conversation, in {@link Wire}'s order. Confined to its channel's loop. */
    private final class Exchange extends SimpleChannelInboundHandler<String> {

        private enum Step { HELLO, OFFERED, SENT, DONE }

        /** How many of {@link #offered} have been sent. */
        private int sent;

        private Step step = Step.HELLO;
        private List<Offered> offered = List.of();
        /** This exchange's latch in {@link #underWay}, once it holds it. */
        private CountDownLatch holds;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.executor().schedule(() -> {
                if (step != Step.DONE && ctx.channel().isOpen()) {
                    log.warn("handover: a peer did not finish within {}; closing it, still serving", deadline);
                    ctx.close();
                }
            }, deadline.toNanos(), TimeUnit.NANOSECONDS);
            ctx.fireChannelActive();
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, String line) {
            switch (step) {
                case HELLO -> hello(ctx, line);
                case OFFERED -> send(ctx, line);
                case SENT -> expect(ctx, line, Wire.TAKEN, () -> taken(ctx));
                case DONE -> ctx.close();
            }
        }

        private void hello(ChannelHandlerContext ctx, String line) {
            String expected = Wire.HELLO + ' ' + Wire.VERSION;
            if (!line.equals(expected)) {
                log.warn("handover: refused a peer that said \"{}\" (this Junction speaks \"{}\"); still serving",
                        line, expected);
                refuse(ctx, "unknown version");
                return;
            }
            CountDownLatch mine = new CountDownLatch(1);
            if (!underWay.compareAndSet(null, mine)) {
                refuse(ctx, "a handover is already under way");
                return;
            }
            holds = mine;
            offered = List.copyOf(offer.sockets());
            StringBuilder out = new StringBuilder(Wire.SOCKETS).append(' ').append(offered.size()).append('\n');
            for (Offered o : offered) {
                out.append(o.socket().line()).append('\n');
            }
            ctx.writeAndFlush(out.toString());
            step = offered.isEmpty() ? Step.SENT : Step.OFFERED;
            log.info("handover: a new Junction asks for the listening sockets; offering {}", offered.size());
        }

        private void refuse(ChannelHandlerContext ctx, String reason) {
            ctx.writeAndFlush(Wire.REFUSED + ' ' + Wire.VERSION + ' ' + reason + '\n')
                    .addListener(ChannelFutureListener.CLOSE);
            step = Step.DONE;
        }

        private void expect(ChannelHandlerContext ctx, String line, String word, Runnable then) {
            if (line.equals(word)) {
                then.run();
            } else {
                log.warn("handover: expected {}, the new Junction said \"{}\"; still serving", word, line);
                ctx.close();
            }
        }

        /** Sends the next batch the new Junction asks for with {@code SEND k}. */
        private void send(ChannelHandlerContext ctx, String line) {
            int k = batch(line);
            if (k < 1 || k > Wire.BATCH || k > offered.size() - sent) {
                log.warn("handover: expected {} 1-{}, the new Junction said \"{}\"; still serving", Wire.SEND,
                        Math.min(Wire.BATCH, offered.size() - sent), line);
                ctx.close();
                return;
            }
            List<Offered> next = offered.subList(sent, sent + k);
            // A listener closed since the offer (its Service went away) has a descriptor number the kernel may
            // already have given to another socket: sending it could pass the wrong socket. Give up instead;
            // the new Junction then binds for itself.
            for (Offered o : next) {
                if (!o.fd().isOpen()) {
                    log.warn("handover: {} closed while being handed over; giving up, still serving", o.socket());
                    ctx.close();
                    return;
                }
            }
            Channel ch = ctx.channel();
            for (Offered o : next) {
                ch.write(o.fd());
            }
            ch.flush();
            sent += k;
            if (sent == offered.size()) {
                step = Step.SENT;
            }
        }

        /** k of {@code SEND k}, or -1. */
        private static int batch(String line) {
            if (!line.startsWith(Wire.SEND + ' ')) {
                return -1;
            }
            try {
                return Integer.parseInt(line.substring(Wire.SEND.length() + 1));
            } catch (NumberFormatException e) {
                return -1;
            }
        }

        /**
         * Stops listening, then closes the connection: the new side waits for that close before it listens on
         * the path itself, so nothing of this process is left there.
         */
        private void taken(ChannelHandlerContext ctx) {
            step = Step.DONE;
            log.info("handover: the new Junction holds the {} sockets; this one stops accepting and drains",
                    offered.size());
            stopListening();
            ctx.close();
            offer.taken();
            // Stays taken: no later peer is offered sockets this process no longer accepts on.
            holds.countDown();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (step == Step.OFFERED || step == Step.SENT) {
                log.warn("handover: the new Junction went away before it took the sockets; still serving");
            }
            if (holds != null && step != Step.DONE) {
                underWay.set(null);
                holds.countDown();
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // A peer that went away is said once, by channelInactive.
            if (!(cause instanceof IOException)) {
                log.warn("handover: {}; still serving", cause.toString());
            }
            ctx.close();
        }
    }
}
