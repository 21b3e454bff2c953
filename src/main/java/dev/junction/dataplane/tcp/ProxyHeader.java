package dev.junction.dataplane.tcp;

import dev.junction.model.ProxyProtocol;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.NetUtil;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The PROXY protocol header a backend connection starts with (HAProxy's proxy-protocol.txt, versions 1
 * and 2), carrying the real client address and the frontend address it connected to. Stateless.
 */
final class ProxyHeader {

    /** The 12-byte v2 signature, section 2.2. */
    static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    private static final int V2_PROXY_COMMAND = 0x21;
    private static final int V2_TCP4 = 0x11;
    private static final int V2_TCP6 = 0x21;

    private ProxyHeader() {
    }

    /** The header for a connection from {@code client} to {@code frontend}, in a buffer from {@code alloc}. */
    static ByteBuf encode(ProxyProtocol version, InetSocketAddress client, InetSocketAddress frontend,
            ByteBufAllocator alloc) {
        return switch (version) {
            case V1 -> v1(client, frontend, alloc);
            case V2 -> v2(client, frontend, alloc);
            case NONE -> throw new IllegalArgumentException("no PROXY protocol header to encode");
        };
    }

    private static ByteBuf v1(InetSocketAddress client, InetSocketAddress frontend, ByteBufAllocator alloc) {
        InetAddress src = client.getAddress();
        InetAddress dst = frontend.getAddress();
        String line;
        if (src.getClass() != dst.getClass()) {
            // Mixed families cannot be expressed; the spec's answer is UNKNOWN (the backend uses the socket).
            line = "PROXY UNKNOWN\r\n";
        } else {
            line = "PROXY " + (src instanceof Inet4Address ? "TCP4 " : "TCP6 ")
                    + NetUtil.toAddressString(src) + ' ' + NetUtil.toAddressString(dst) + ' '
                    + client.getPort() + ' ' + frontend.getPort() + "\r\n";
        }
        byte[] bytes = line.getBytes(StandardCharsets.US_ASCII);
        return alloc.buffer(bytes.length).writeBytes(bytes);
    }

    private static ByteBuf v2(InetSocketAddress client, InetSocketAddress frontend, ByteBufAllocator alloc) {
        byte[] src = client.getAddress().getAddress();
        byte[] dst = frontend.getAddress().getAddress();
        ByteBuf out = alloc.buffer(16 + 36);
        out.writeBytes(V2_SIGNATURE);
        out.writeByte(V2_PROXY_COMMAND);
        if (src.length != dst.length) {
            // AF_UNSPEC with no address block: the receiver must use the socket's own addresses.
            out.writeByte(0x00);
            out.writeShort(0);
            return out;
        }
        out.writeByte(src.length == 4 ? V2_TCP4 : V2_TCP6);
        out.writeShort(2 * src.length + 4);
        out.writeBytes(src);
        out.writeBytes(dst);
        out.writeShort(client.getPort());
        out.writeShort(frontend.getPort());
        return out;
    }
}
