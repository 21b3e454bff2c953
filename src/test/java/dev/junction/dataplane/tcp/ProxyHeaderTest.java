package dev.junction.dataplane.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.junction.model.Addresses;
import dev.junction.model.ProxyProtocol;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The PROXY protocol headers byte for byte, against HAProxy's proxy-protocol.txt. */
class ProxyHeaderTest {

    private static byte[] encode(ProxyProtocol version, String client, int clientPort, String frontend, int frontendPort) {
        ByteBuf buf = ProxyHeader.encode(version, new InetSocketAddress(Addresses.parse(client), clientPort),
                new InetSocketAddress(Addresses.parse(frontend), frontendPort), UnpooledByteBufAllocator.DEFAULT);
        try {
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    @Test
    void v1Tcp4IsTheSpecsExampleLine() {
        // proxy-protocol.txt 2.1: "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n" is the longest.
        assertEquals("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n",
                text(encode(ProxyProtocol.V1, "192.168.0.1", 56324, "192.168.0.11", 443)));
        assertEquals("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n",
                text(encode(ProxyProtocol.V1, "255.255.255.255", 65535, "255.255.255.255", 65535)));
    }

    @Test
    void v1Tcp6UsesCompressedAddresses() {
        assertEquals("PROXY TCP6 fd00:3::2 fd00:96::30 40000 80\r\n",
                text(encode(ProxyProtocol.V1, "fd00:3:0:0:0:0:0:2", 40000, "fd00:96::30", 80)));
    }

    @Test
    void v1MixedFamiliesAreUnknown() {
        assertEquals("PROXY UNKNOWN\r\n", text(encode(ProxyProtocol.V1, "10.0.0.1", 1, "fd00::1", 80)));
    }

    @Test
    void v2Tcp4() {
        byte[] expected = HexFormat.of().parseHex(
                "0d0a0d0a000d0a515549540a" // signature
                        + "21" // version 2, PROXY
                        + "11" // AF_INET, STREAM
                        + "000c" // 12 address bytes
                        + "0af40302" // 10.244.3.2
                        + "0a60000a" // 10.96.0.10
                        + "9c40" // 40000
                        + "0050"); // 80
        assertArrayEquals(expected, encode(ProxyProtocol.V2, "10.244.3.2", 40000, "10.96.0.10", 80));
    }

    @Test
    void v2Tcp6() {
        byte[] expected = HexFormat.of().parseHex(
                "0d0a0d0a000d0a515549540a" + "21" + "21" // AF_INET6, STREAM
                        + "0024" // 36 address bytes
                        + "fd000003000000000000000000000002"
                        + "fd000096000000000000000000000030"
                        + "9c40" + "0050");
        assertArrayEquals(expected, encode(ProxyProtocol.V2, "fd00:3::2", 40000, "fd00:96::30", 80));
    }

    @Test
    void v2MixedFamiliesAreUnspecWithoutAddresses() {
        assertArrayEquals(HexFormat.of().parseHex("0d0a0d0a000d0a515549540a" + "21" + "00" + "0000"),
                encode(ProxyProtocol.V2, "10.0.0.1", 1, "fd00::1", 80));
    }
}
