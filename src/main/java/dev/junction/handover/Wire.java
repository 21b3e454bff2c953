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
 * new → old   JUNCTION-HANDOVER 1
 * old → new   SOCKETS n, then n lines "role protocol address port"   (or: REFUSED version reason, and close)
 * new → old   SEND            (the new side now reads descriptors)
 * old → new   n descriptors, in the order of the lines
 * new → old   TAKEN           (the new side holds them: the old stops accepting and drains)
 * </pre>
 * A peer that speaks another version is refused with the version this side speaks; there is no negotiation.
 */
final class Wire {

    static final int VERSION = 1;
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
