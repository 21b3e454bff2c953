package dev.junction.observe;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;

/**
 * On a listening channel: stops it from accepting for {@link #PAUSE} when an accept fails, as HAProxy does on
 * EMFILE, ENFILE, ENOBUFS and ENOMEM: at the descriptor limit every accept fails at once, and retrying at once
 * only spins and logs. One line per {@link #LOG_INTERVAL} for all the listeners it serves, with the count;
 * every failure is counted. Accepting resumes by itself after the pause, so a listener recovers as soon as
 * descriptors free up. It consumes the exception: Netty's own reaction (a 1 s pause and a warning with a stack
 * trace per failure at the pipeline's tail) does not happen. The data plane's listeners and the operational
 * servers each share one. Sharable; runs on each listener's event loop.
 */
@ChannelHandler.Sharable
public final class AcceptBackoff extends ChannelInboundHandlerAdapter {

    /** HAProxy retries 100 ms after EMFILE: short enough that a freed descriptor is used soon. */
    public static final Duration PAUSE = Duration.ofMillis(100);
    public static final Duration LOG_INTERVAL = Duration.ofSeconds(10);

    private final RateLimitedLog log;
    private final String listeners;
    private final LongAdder failures = new LongAdder();

    /** Logs to {@code log}, naming each failing listener as {@code listeners} and its address. */
    public AcceptBackoff(Logger log, String listeners) {
        this.log = new RateLimitedLog(log, LOG_INTERVAL);
        this.listeners = listeners;
    }

    /** Accepts that failed, on every listener this serves. */
    public long failures() {
        return failures.sum();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        failures.increment();
        Channel listener = ctx.channel();
        log.warn("{} {} cannot accept ({}); pausing its accepts for {} ms{}", listeners,
                NetUtil.toSocketAddressString((InetSocketAddress) listener.localAddress()), cause.getMessage(),
                PAUSE.toMillis(), descriptorHint(cause));
        if (listener.config().isAutoRead()) {
            listener.config().setAutoRead(false);
            ctx.executor().schedule(() -> listener.config().setAutoRead(true), PAUSE.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** A hint for a log line when {@code cause} is the descriptor limit (EMFILE or ENFILE); else empty. */
    public static String descriptorHint(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains("Too many open files")) {
                return " (the open-files limit is reached: raise LimitNOFILE / ulimit -n)";
            }
        }
        return "";
    }
}
