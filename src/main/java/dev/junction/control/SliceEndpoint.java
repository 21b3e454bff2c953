package dev.junction.control;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Objects;
import java.util.Set;

/**
 * One endpoint of a {@link CachedSlice}, holding only what route building reads: its first address,
 * already parsed and of the slice's family, the node it runs on (null when unknown), its conditions as
 * kube-proxy reads them and its topology hints (empty when none). {@code addressHigh} and
 * {@code addressLow} are the address as an unsigned 128-bit number (IPv4 in the low 32 bits), kept so
 * sorting endpoints compares numbers instead of copying address bytes; build it with {@link #of}.
 * Immutable.
 */
record SliceEndpoint(
        InetAddress address, String nodeName, boolean ready, boolean serving, boolean terminating,
        Set<String> nodeHints, Set<String> zoneHints, long addressHigh, long addressLow) {

    SliceEndpoint {
        Objects.requireNonNull(address, "address");
        nodeHints = Set.copyOf(nodeHints);
        zoneHints = Set.copyOf(zoneHints);
    }

    static SliceEndpoint of(InetAddress address, String nodeName, boolean ready, boolean serving, boolean terminating,
            Set<String> nodeHints, Set<String> zoneHints) {
        byte[] bytes = address.getAddress();
        long high = 0;
        long low = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (i < bytes.length - 8) {
                high = high << 8 | (bytes[i] & 0xff);
            } else {
                low = low << 8 | (bytes[i] & 0xff);
            }
        }
        return new SliceEndpoint(address, nodeName, ready, serving, terminating, nodeHints, zoneHints, high, low);
    }

    boolean servingTerminating() {
        return serving && terminating;
    }

    /** IPv4 before IPv6, then by address bytes as unsigned numbers: the order of the bytes compared in turn. */
    int compareAddress(SliceEndpoint other) {
        int byFamily = Boolean.compare(address instanceof Inet6Address, other.address instanceof Inet6Address);
        if (byFamily != 0) {
            return byFamily;
        }
        int byHigh = Long.compareUnsigned(addressHigh, other.addressHigh);
        return byHigh != 0 ? byHigh : Long.compareUnsigned(addressLow, other.addressLow);
    }
}
