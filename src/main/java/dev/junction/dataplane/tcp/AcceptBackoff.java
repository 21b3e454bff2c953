package dev.junction.dataplane.tcp;

import dev.junction.observe.RateLimitedLog;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.LoggerFactory;

/**
 * Stops a listener from accepting for {@link #PAUSE} when an accept fails, as HAProxy does on EMFILE,
 * ENFILE, ENOBUFS and ENOMEM: at the descriptor limit every accept fails at once, and retrying at once
 * only spins and logs. One line per {@link #LOG_INTERVAL} for all listeners, with the count; every failure
 * is counted. Accepting resumes by itself after the pause, so the listener recovers as soon as descriptors
 * free up. It consumes the exception: Netty's own reaction (a 1 s pause and a warning per failure at the
 * pipeline's tail) does not happen. Sharable; runs on each listener's event loop.
 */
@ChannelHandler.Sharable
final class AcceptBackoff extends ChannelInboundHandlerAdapter {

    /** HAProxy retries 100 ms after EMFILE: short enough that a freed descriptor is used soon. */
    static final Duration PAUSE = Duration.ofMillis(100);
    static final Duration LOG_INTERVAL = Duration.ofSeconds(10);

    private final RateLimitedLog log = new RateLimitedLog(LoggerFactory.getLogger(TcpDataPlane.class), LOG_INTERVAL);
    private final LongAdder failures = new LongAdder();

    /** Accepts that failed, on every listener. */
    long failures() {
        return failures.sum();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        failures.increment();
        Channel listener = ctx.channel();
        log.warn("TCP listener {} cannot accept: {}; pausing its accepts for {} ms{}", listener.localAddress(),
                cause.getMessage(), PAUSE.toMillis(), TcpDataPlane.descriptorHint(cause));
        if (listener.config().isAutoRead()) {
            listener.config().setAutoRead(false);
            ctx.executor().schedule(() -> listener.config().setAutoRead(true), PAUSE.toMillis(), TimeUnit.MILLISECONDS);
        }
    }
}
