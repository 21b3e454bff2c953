package dev.junction.config;

import dev.junction.model.Cidr;
import java.util.ArrayList;
import java.util.List;

/**
 * Which of this node's addresses NodePorts listen on, as kube-proxy's {@code nodePortAddresses} says it: the
 * addresses inside {@code prefixes}, or with {@code primary} the node's primary IPs; neither: Junction's default
 * (every non-loopback address with route capture, none without). Immutable.
 *
 * @param prefixes CIDRs selecting addresses; empty with {@code primary}
 * @param primary  kube-proxy's special value {@code primary}: the node's primary IP of each family
 */
public record NodePortAddresses(List<Cidr> prefixes, boolean primary) {

    /** kube-proxy's spelling of "the node's primary IPs". */
    public static final String PRIMARY = "primary";

    private static final NodePortAddresses DEFAULT = new NodePortAddresses(List.of(), false);

    public NodePortAddresses {
        prefixes = List.copyOf(prefixes);
        if (primary && !prefixes.isEmpty()) {
            throw new IllegalArgumentException(PRIMARY + " cannot be combined with CIDRs");
        }
    }

    public static NodePortAddresses defaults() {
        return DEFAULT;
    }

    public static NodePortAddresses primaryIps() {
        return new NodePortAddresses(List.of(), true);
    }

    /** True when NodePorts were asked for explicitly, by prefixes or {@code primary}. */
    public boolean given() {
        return primary || !prefixes.isEmpty();
    }

    /**
     * {@code [primary]} or CIDRs, as the flag and the file spell them.
     *
     * @throws IllegalArgumentException naming the bad value
     */
    public static NodePortAddresses parse(List<String> texts) {
        if (texts.contains(PRIMARY)) {
            if (texts.size() > 1) {
                throw new IllegalArgumentException(PRIMARY + " cannot be combined with CIDRs");
            }
            return primaryIps();
        }
        List<Cidr> cidrs = new ArrayList<>();
        for (String text : texts) {
            cidrs.add(Cidr.parse(text));
        }
        return new NodePortAddresses(cidrs, false);
    }
}
