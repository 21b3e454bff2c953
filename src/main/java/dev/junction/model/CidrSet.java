package dev.junction.model;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * A set of IP prefixes an address is tested against on the data path (for each new connection): the
 * prefixes are laid out once as masked integers per family, so a test is a few mask-and-compare steps and
 * allocates nothing beyond the address's own byte copy. Immutable; equal when built from equal prefix lists.
 */
public final class CidrSet {

    public static final CidrSet EMPTY = new CidrSet(List.of());

    private final List<Cidr> cidrs;
    /** IPv4 prefixes: network and mask, one pair per prefix. */
    private final int[] v4;
    /** IPv6 prefixes: network high and low halves, then mask high and low halves, per prefix. */
    private final long[] v6;

    private CidrSet(List<Cidr> cidrs) {
        this.cidrs = cidrs;
        int v4Count = (int) cidrs.stream().filter(c -> c.network().length == 4).count();
        this.v4 = new int[2 * v4Count];
        this.v6 = new long[4 * (cidrs.size() - v4Count)];
        int i4 = 0;
        int i6 = 0;
        for (Cidr c : cidrs) {
            byte[] network = c.network();
            byte[] ones = new byte[network.length];
            Arrays.fill(ones, (byte) 0xff);
            byte[] mask = Cidr.mask(ones, c.prefixLength());
            if (network.length == 4) {
                v4[i4++] = (int) bits(network, 0, 4);
                v4[i4++] = (int) bits(mask, 0, 4);
            } else {
                v6[i6++] = bits(network, 0, 8);
                v6[i6++] = bits(network, 8, 8);
                v6[i6++] = bits(mask, 0, 8);
                v6[i6++] = bits(mask, 8, 8);
            }
        }
    }

    /** The set of {@code cidrs}, kept in their order. */
    public static CidrSet of(Collection<Cidr> cidrs) {
        return cidrs.isEmpty() ? EMPTY : new CidrSet(List.copyOf(cidrs));
    }

    /** True when {@code address} is inside one of the prefixes of its family. */
    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        if (a.length == 4) {
            int value = (int) bits(a, 0, 4);
            for (int i = 0; i < v4.length; i += 2) {
                if ((value & v4[i + 1]) == v4[i]) {
                    return true;
                }
            }
            return false;
        }
        long high = bits(a, 0, 8);
        long low = bits(a, 8, 8);
        for (int i = 0; i < v6.length; i += 4) {
            if ((high & v6[i + 2]) == v6[i] && (low & v6[i + 3]) == v6[i + 1]) {
                return true;
            }
        }
        return false;
    }

    public List<Cidr> cidrs() {
        return cidrs;
    }

    public boolean isEmpty() {
        return cidrs.isEmpty();
    }

    private static long bits(byte[] bytes, int from, int count) {
        long value = 0;
        for (int i = from; i < from + count; i++) {
            value = value << 8 | (bytes[i] & 0xff);
        }
        return value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CidrSet other && cidrs.equals(other.cidrs);
    }

    @Override
    public int hashCode() {
        return cidrs.hashCode();
    }

    @Override
    public String toString() {
        return cidrs.toString();
    }
}
