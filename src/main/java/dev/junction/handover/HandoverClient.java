package dev.junction.handover;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollDomainSocketChannelConfig;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketReadMode;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The new Junction's end of a handover: asks the running one on the handover socket for its listening sockets.
 * Every way it can fail (no socket file, a stale one, another protocol version, the peer gone mid-way, no answer
 * in time) is an {@link Outcome.Failed} with one sentence why; the caller then binds for itself. Blocking; call
 * from one thread.
 */
public final class HandoverClient {

    private HandoverClient() {
    }

    /** What asking for the sockets came to. */
    public sealed interface Outcome {
        /**
         * The sockets, descriptors in this process now; the predecessor keeps serving until {@link #confirm}. The
         * caller owns the descriptors: it adopts them or closes them.
         */
        record Taken(List<Received> sockets, Channel connection) implements Outcome {
            /**
             * Tells the predecessor this process holds the sockets, so it stops accepting and drains; returns once
             * it has stopped listening on the handover socket (or {@code timeout} passed), so this process can
             * listen there in its turn.
             */
            public void confirm(Duration timeout) {
                connection.writeAndFlush(Wire.TAKEN + '\n');
                connection.closeFuture().awaitUninterruptibly(timeout.toMillis());
                connection.close();
            }
        }

        /** No handover: why, in one sentence. */
        record Failed(String reason) implements Outcome {
        }
    }

    /** A socket received: its description and its descriptor in this process. */
    public record Received(HandedSocket socket, FileDescriptor fd) {
    }

    /**
     * Asks the Junction listening on {@code path} for its sockets, waiting at most {@code timeout} in all.
     *
     * @param group an epoll event loop group
     */
    public static Outcome take(Path path, EventLoopGroup group, Duration timeout) {
        if (!Files.exists(path)) {
            return new Outcome.Failed("no handover socket at " + path + " (no Junction running to take over from)");
        }
        CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        ChannelFuture connect = new Bootstrap()
                .group(group)
                .channel(EpollDomainSocketChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        Wire.lines(ch);
                        ch.pipeline().addLast(new Exchange(outcome));
                    }
                })
                .connect(new DomainSocketAddress(path.toFile()));
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                String cause = String.valueOf(f.cause().getMessage());
                outcome.complete(new Outcome.Failed(cause.contains("Connection refused")
                        ? "stale handover socket " + path + ": nobody listening (connection refused)"
                        : "cannot connect to handover socket " + path + ": " + cause));
            }
        });
        try {
            return outcome.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            Outcome late = new Outcome.Failed("the running Junction did not hand over within " + timeout);
            if (!outcome.complete(late)) {
                // Completed just now after all: it may hold descriptors, which nobody would close otherwise.
                closeAll(outcome.join());
            }
            connect.channel().close();
            return late;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            connect.channel().close();
            return new Outcome.Failed("interrupted while waiting for the handover");
        } catch (ExecutionException e) {
            connect.channel().close();
            return new Outcome.Failed("handover failed: " + e.getCause());
        }
    }

    private static void closeAll(Outcome outcome) {
        if (outcome instanceof Outcome.Taken taken) {
            for (Received r : taken.sockets()) {
                closeQuietly(r.fd());
            }
            taken.connection().close();
        }
    }

    /** Closes a descriptor received and not wanted; a failure to close it changes nothing worth saying. */
    public static void closeQuietly(FileDescriptor fd) {
        try {
            fd.close();
        } catch (IOException ignored) {
            // Closing a descriptor nobody uses: nothing to do about a failure.
        }
    }

    /** The new side's turns, in {@link Wire}'s order. Confined to its channel's loop. */
    private static final class Exchange extends ChannelInboundHandlerAdapter {

        private final CompletableFuture<Outcome> outcome;
        private final List<HandedSocket> described = new ArrayList<>();
        private final List<Received> received = new ArrayList<>();
        private int expected = -1;
        /** Descriptors asked for so far. */
        private int askedFor;

        Exchange(CompletableFuture<Outcome> outcome) {
            this.outcome = outcome;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.writeAndFlush(Wire.HELLO + ' ' + Wire.VERSION + '\n');
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (outcome.isDone()) {
                // Too late (timed out): a descriptor arriving now is nobody's.
                if (msg instanceof FileDescriptor fd) {
                    closeQuietly(fd);
                }
                ctx.close();
            } else if (msg instanceof FileDescriptor fd) {
                received.add(new Received(described.get(received.size()), fd));
                if (received.size() == expected) {
                    done(ctx);
                } else if (received.size() == askedFor) {
                    askForMore(ctx);
                }
            } else {
                line(ctx, (String) msg);
            }
        }

        private void line(ChannelHandlerContext ctx, String line) {
            try {
                if (expected < 0) {
                    header(ctx, line);
                } else {
                    described.add(HandedSocket.parse(line));
                    if (described.size() == expected) {
                        // From here on the descriptors arrive: read them as such, then ask for them.
                        ((EpollDomainSocketChannelConfig) ctx.channel().config())
                                .setReadMode(DomainSocketReadMode.FILE_DESCRIPTORS);
                        askForMore(ctx);
                    }
                }
            } catch (IllegalArgumentException e) {
                fail(ctx, "the running Junction answered something this one does not understand: " + e.getMessage());
            }
        }

        private void header(ChannelHandlerContext ctx, String line) {
            String[] f = line.split(" ", 3);
            if (f[0].equals(Wire.REFUSED)) {
                fail(ctx, "the running Junction refused the handover: it speaks protocol version "
                        + (f.length > 1 ? f[1] : "?") + ", this one " + Wire.VERSION
                        + (f.length > 2 ? " (" + f[2] + ")" : ""));
            } else if (f[0].equals(Wire.SOCKETS) && f.length == 2) {
                expected = Integer.parseInt(f[1]);
                if (expected < 0) {
                    throw new IllegalArgumentException("a negative count: " + line);
                }
                if (expected == 0) {
                    done(ctx);
                }
            } else {
                throw new IllegalArgumentException("\"" + line + "\"");
            }
        }

        /** Asks for the next batch, once the last one has arrived whole. */
        private void askForMore(ChannelHandlerContext ctx) {
            int k = Math.min(Wire.BATCH, expected - askedFor);
            askedFor += k;
            ctx.writeAndFlush(Wire.SEND + ' ' + k + '\n');
        }

        private void done(ChannelHandlerContext ctx) {
            ((EpollDomainSocketChannelConfig) ctx.channel().config()).setReadMode(DomainSocketReadMode.BYTES);
            if (!outcome.complete(new Outcome.Taken(List.copyOf(received), ctx.channel()))) {
                closeAll(new Outcome.Taken(received, ctx.channel()));
            }
        }

        private void fail(ChannelHandlerContext ctx, String reason) {
            outcome.complete(new Outcome.Failed(reason));
            received.forEach(r -> closeQuietly(r.fd()));
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!outcome.isDone()) {
                fail(ctx, "the running Junction closed the connection mid-way (" + received.size() + " of "
                        + Math.max(expected, 0) + " sockets received)");
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(ctx, "handover connection failed: " + cause);
        }
    }
}
