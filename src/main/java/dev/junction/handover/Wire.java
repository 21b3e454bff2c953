package dev.junction.handover;

import io.netty.channel.Channel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.string.StringDecoder;
import io.netty.handler.codec.string.StringEncoder;
import java.nio.charset.StandardCharsets;

/**
 * The handover protocol, version {@value #VERSION}: UTF-8 lines over a UNIX stream socket, the descriptors by
 * SCM_RIGHTS. The two sides take turns, so descriptors never arrive while the new side reads lines (a descriptor
 * read as plain bytes would be dropped by the kernel):
 * <pre>
 * new → old   JUNCTION-HANDOVER 2
 * old → new   SOCKETS n, then n lines "role protocol address port"   (or: REFUSED version reason, and close)
 * new → old   SEND k          (the new side now reads descriptors; k at most {@value #BATCH})
 * old → new   the next k descriptors, in the order of the lines
 *             (SEND k and its descriptors again until all n have passed)
 * new → old   TAKEN           (the new side holds them: the old stops accepting and drains)
 * </pre>
 * Batches, because every descriptor travels in a message of its own and a UNIX socket's send buffer holds
 * only about 280 of them (version 1 sent all n at once, and its handovers of more sockets than that failed: Netty
 * 4.2.18's domain channel turns a descriptor write that would block into an error that shuts the output).
 * A peer that speaks another version is refused with the version this side speaks; there is no negotiation.
 */
final class Wire {

    static final int VERSION = 2;
    /** Descriptors per SEND: well under what a UNIX socket's default send buffer holds in flight. */
    static final int BATCH = 128;
    static final String HELLO = "JUNCTION-HANDOVER";
    static final String SOCKETS = "SOCKETS";
    static final String REFUSED = "REFUSED";
    static final String SEND = "SEND";
    static final String TAKEN = "TAKEN";

    /** Longest line either side accepts. */
    private static final int MAX_LINE = 512;

    private Wire() {
    }

    /** Line framing on {@code ch}; descriptors read in FILE_DESCRIPTORS mode pass the decoders untouched. */
    static void lines(Channel ch) {
        ch.pipeline().addLast(new LineBasedFrameDecoder(MAX_LINE), new StringDecoder(StandardCharsets.UTF_8),
                new StringEncoder(StandardCharsets.UTF_8));
    }
}
