package dev.junction.model;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * An IP prefix such as {@code 10.0.0.0/8} or {@code fd00::/64}; a bare address is a host prefix. Host
 * bits are masked off, so {@code 10.1.2.3/8} equals {@code 10.0.0.0/8}. Immutable.
 */
public final class Cidr {

    private final byte[] network;
    private final int prefixLength;

    private Cidr(byte[] network, int prefixLength) {
        this.network = network;
        this.prefixLength = prefixLength;
    }

    /**
     * Parses {@code address/length} or a bare address (a host prefix); never resolves names.
     *
     * @throws IllegalArgumentException naming the text when it is not a prefix
     */
    public static Cidr parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty CIDR");
        }
        String s = text.trim();
        int slash = s.indexOf('/');
        InetAddress address;
        try {
            address = Addresses.parse(slash < 0 ? s : s.substring(0, slash));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid CIDR \"" + text + "\": " + e.getMessage(), e);
        }
        byte[] bytes = address.getAddress();
        int bits = bytes.length * 8;
        int length = bits;
        if (slash >= 0) {
            String len = s.substring(slash + 1);
            if (len.isEmpty() || len.length() > 3 || !len.chars().allMatch(Character::isDigit)
                    || Integer.parseInt(len) > bits) {
                throw new IllegalArgumentException("invalid CIDR \"" + text + "\": prefix length must be 0-" + bits);
            }
            length = Integer.parseInt(len);
        }
        return new Cidr(mask(bytes, length), length);
    }

    /** The prefix holding {@code address} alone. */
    public static Cidr host(InetAddress address) {
        byte[] bytes = address.getAddress();
        return new Cidr(bytes, bytes.length * 8);
    }

    /** True when {@code address} is of this prefix's family (IPv4 or IPv6), whether inside it or not. */
    public boolean sameFamily(InetAddress address) {
        return address.getAddress().length == network.length;
    }

    /** True when {@code address} is of this prefix's family and inside it. */
    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        return a.length == network.length && Arrays.equals(mask(a, prefixLength), network);
    }

    public boolean isIpv4() {
        return network.length == 4;
    }

    public int prefixLength() {
        return prefixLength;
    }

    /** The network's bytes, host bits zero; shared, not copied: for {@link CidrSet} to read once. */
    byte[] network() {
        return network;
    }

    /** A copy of {@code bytes} with the bits past {@code length} cleared. */
    static byte[] mask(byte[] bytes, int length) {
        byte[] out = bytes.clone();
        for (int i = 0; i < out.length; i++) {
            int keep = Math.max(0, Math.min(8, length - 8 * i));
            out[i] &= (byte) (0xff << (8 - keep));
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefixLength == prefixLength && Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(network) * 31 + prefixLength;
    }

    @Override
    public String toString() {
        try {
            return InetAddress.getByAddress(network).getHostAddress() + '/' + prefixLength;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
