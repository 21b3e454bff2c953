package dev.junction.dataplane.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import java.io.IOException;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies bytes from its channel to the peer channel. Writes are flushed once per read batch; reading
 * stops while the peer is not writable and resumes when it drains, so memory per connection is bounded
 * by the peer's write-buffer high water mark. A half-close is forwarded as a shutdown of the peer's
 * output; the pair closes when both directions are done, or when {@link LoopConnections} finds it idle
 * (for the half-close timeout once one direction is done).
 * Event-loop confined: both channels of a connection live on the same loop.
 */
class RelayHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(RelayHandler.class);

    Channel peer;
    RelayHandler peerRelay;
    boolean inputDone;
    /** The service port's byte counter for the direction this handler reads. */
    LongAdder bytes;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        count(msg);
        peer.write(msg, peer.voidPromise());
    }

    final void count(Object msg) {
        if (bytes != null && msg instanceof ByteBuf buf) {
            bytes.add(buf.readableBytes());
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        active();
        peer.flush();
        if (!peer.isWritable()) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // A peer draining a full buffer is progress too, even while this side's reading is paused.
        active();
        if (peer != null && ctx.channel().isWritable() && !peerRelay.inputDone) {
            peer.config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    /** Traffic moved on this connection: it is not idle (see {@link LoopConnections}). */
    void active() {
    }

    /** This side has sent its FIN and the other side has not (see {@link LoopConnections}). */
    void halfClosed() {
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputDone = true;
            if (peerRelay != null && peerRelay.inputDone) {
                // Both directions are done: deliver what is still queued each way, then close.
                closeAfterFlush(ctx.channel());
                closeAfterFlush(peer);
            } else {
                halfClosed();
                if (peer != null) {
                    shutdownPeerOutput();
                }
            }
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    /** Forwards a half-close; flushes first, so the shutdown cannot overtake bytes queued for the peer. */
    final void shutdownPeerOutput() {
        peer.writeAndFlush(Unpooled.EMPTY_BUFFER)
                .addListener((ChannelFutureListener) f -> ((DuplexChannel) f.channel()).shutdownOutput());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (peer != null && peer.isActive()) {
            closeAfterFlush(peer);
        }
    }

    private static void closeAfterFlush(Channel ch) {
        ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof IOException)) {
            log.warn("relay {} failed", ctx.channel(), cause);
        }
        closeBoth(ctx.channel());
    }

    final void closeBoth(Channel self) {
        self.close();
        if (peer != null) {
            peer.close();
        }
    }
}
