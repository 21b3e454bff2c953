package dev.junction.model;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Parses and formats IP literals without ever touching DNS. */
public final class Addresses {

    private Addresses() {
    }

    /**
     * Parses an IPv4 dotted quad or an IPv6 literal (no zone, no brackets).
     *
     * @throws IllegalArgumentException naming the text when it is not an IP literal
     */
    public static InetAddress parse(String text) {
        byte[] bytes = parseBytes(text);
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("invalid IP address \"" + text + '"', e);
        }
    }

    /**
     * The bytes {@link #parse} builds its address from: 4 for a dotted quad, 16 for an IPv6 literal (an
     * IPv4-mapped one included, which {@link InetAddress#getByAddress(byte[])} turns into IPv4). For callers
     * that compare an address with one they hold before deciding to build it.
     *
     * @throws IllegalArgumentException naming the text when it is not an IP literal
     */
    public static byte[] parseBytes(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("empty IP address");
        }
        byte[] bytes = text.indexOf(':') >= 0 ? parseV6(text) : parseV4(text);
        if (bytes == null) {
            throw new IllegalArgumentException("invalid IP address \"" + text + '"');
        }
        return bytes;
    }

    /** True when {@code text} is an IP literal; never resolves a name. */
    public static boolean isIp(String text) {
        try {
            parse(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    public static String format(InetAddress address, int port) {
        String host = address.getHostAddress();
        return address instanceof Inet6Address ? "[" + host + "]:" + port : host + ':' + port;
    }

    /**
     * A dotted quad's 32 bits (the first byte highest), or -1 when {@code text} is not one {@link #parse}
     * accepts: for callers that judge or compare IPv4 addresses by number, building no address or array.
     */
    public static long parseV4Bits(String text) {
        long bits = 0;
        int part = 0;
        int value = -1;
        for (int i = 0; i <= text.length(); i++) {
            char c = i == text.length() ? '.' : text.charAt(i);
            if (c == '.') {
                if (value < 0 || part == 4) {
                    return -1;
                }
                bits = bits << 8 | value;
                part++;
                value = -1;
            } else if (c >= '0' && c <= '9') {
                // Leading zeros are ambiguous (octal in some parsers); Kubernetes rejects them too.
                if (value == 0) {
                    return -1;
                }
                value = (value < 0 ? 0 : value * 10) + (c - '0');
                if (value > 255) {
                    return -1;
                }
            } else {
                return -1;
            }
        }
        return part == 4 ? bits : -1;
    }

    private static byte[] parseV4(String s) {
        long bits = parseV4Bits(s);
        if (bits < 0) {
            return null;
        }
        return new byte[] {(byte) (bits >>> 24), (byte) (bits >>> 16), (byte) (bits >>> 8), (byte) bits};
    }

    private static byte[] parseV6(String s) {
        if (s.indexOf('%') >= 0 || s.startsWith("[")) {
            return null;
        }
        int dc = s.indexOf("::");
        if (dc >= 0 && s.indexOf("::", dc + 1) >= 0) {
            return null;
        }
        String head = dc >= 0 ? s.substring(0, dc) : s;
        String tail = dc >= 0 ? s.substring(dc + 2) : "";
        int[] h = groups(head);
        int[] t = groups(tail);
        if (h == null || t == null) {
            return null;
        }
        int total = h.length + t.length;
        if (dc < 0 ? total != 8 : total > 7) {
            return null;
        }
        byte[] out = new byte[16];
        for (int i = 0; i < h.length; i++) {
            out[2 * i] = (byte) (h[i] >> 8);
            out[2 * i + 1] = (byte) h[i];
        }
        for (int i = 0; i < t.length; i++) {
            int g = 8 - t.length + i;
            out[2 * g] = (byte) (t[i] >> 8);
            out[2 * g + 1] = (byte) t[i];
        }
        return out;
    }

    /** Hex groups of one side of "::"; an embedded IPv4 tail counts as two groups. */
    private static int[] groups(String side) {
        if (side.isEmpty()) {
            return new int[0];
        }
        String[] parts = side.split(":", -1);
        int last = parts.length - 1;
        boolean v4Tail = parts[last].indexOf('.') >= 0;
        int[] out = new int[parts.length + (v4Tail ? 1 : 0)];
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            if (i == last && v4Tail) {
                byte[] v4 = parseV4(p);
                if (v4 == null) {
                    return null;
                }
                out[i] = ((v4[0] & 0xff) << 8) | (v4[1] & 0xff);
                out[i + 1] = ((v4[2] & 0xff) << 8) | (v4[3] & 0xff);
                continue;
            }
            if (p.isEmpty() || p.length() > 4) {
                return null;
            }
            int v = 0;
            for (int j = 0; j < p.length(); j++) {
                int d = Character.digit(p.charAt(j), 16);
                if (d < 0) {
                    return null;
                }
                v = v * 16 + d;
            }
            out[i] = v;
        }
        return out;
    }
}
