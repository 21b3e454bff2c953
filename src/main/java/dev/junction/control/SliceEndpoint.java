package dev.junction.control;

import dev.junction.model.Addresses;
import java.net.Inet4Address;
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
        return new SliceEndpoint(address, nodeName, ready, serving, terminating, nodeHints, zoneHints, high(bytes),
                low(bytes));
    }

    /**
     * True when {@code text} (an IP literal) is this endpoint's address, found without building an address.
     * An IPv4-mapped IPv6 literal, which parses to an IPv4 address, never matches: such an endpoint is built
     * and compared as built.
     */
    boolean hasAddress(String text) {
        if (text.indexOf(':') < 0) {
            // IPv4 keeps its 32 bits in addressLow.
            long bits = Addresses.parseV4Bits(text);
            return bits >= 0 && address instanceof Inet4Address && addressLow == bits;
        }
        byte[] bytes = Addresses.parseBytes(text);
        return address instanceof Inet6Address && high(bytes) == addressHigh && low(bytes) == addressLow;
    }

    /** The bytes before the last 8 as an unsigned number: 0 for IPv4. */
    private static long high(byte[] bytes) {
        long high = 0;
        for (int i = 0; i < bytes.length - 8; i++) {
            high = high << 8 | (bytes[i] & 0xff);
        }
        return high;
    }

    /** The last 8 bytes (all 4 of IPv4) as an unsigned number. */
    private static long low(byte[] bytes) {
        long low = 0;
        for (int i = Math.max(0, bytes.length - 8); i < bytes.length; i++) {
            low = low << 8 | (bytes[i] & 0xff);
        }
        return low;
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
