package dev.junction.control;

import java.net.InetAddress;
import java.util.Objects;
import java.util.Set;

/**
 * One endpoint of a {@link CachedSlice}, holding only what route building reads: its first address,
 * already parsed and of the slice's family, the node it runs on (null when unknown), its conditions as
 * kube-proxy reads them and its topology hints (empty when none). Immutable.
 */
record SliceEndpoint(
        InetAddress address, String nodeName, boolean ready, boolean serving, boolean terminating,
        Set<String> nodeHints, Set<String> zoneHints) {

    SliceEndpoint {
        Objects.requireNonNull(address, "address");
        nodeHints = Set.copyOf(nodeHints);
        zoneHints = Set.copyOf(zoneHints);
    }

    boolean servingTerminating() {
        return serving && terminating;
    }
}
