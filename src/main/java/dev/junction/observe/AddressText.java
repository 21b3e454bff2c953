package dev.junction.observe;

import dev.junction.model.Endpoint;
import dev.junction.model.Frontend;
import io.netty.util.NetUtil;
import java.net.InetAddress;

/**
 * How the operational surface ({@code /debug/routes}, metric labels) writes addresses: IPv6 in its compact
 * form (RFC 5952, {@code [fd00::1]:80}) through Netty's {@link NetUtil}, as kube-proxy and {@code ip} print
 * them. {@code model}'s own {@code toString}s keep the JDK's long form, since {@code model} imports no Netty.
 */
final class AddressText {

    private AddressText() {
    }

    static String endpoint(Endpoint e) {
        return hostPort(e.address(), e.port());
    }

    static String frontend(Frontend f) {
        return hostPort(f.address(), f.port()) + '/' + f.protocol();
    }

    private static String hostPort(InetAddress address, int port) {
        return NetUtil.toSocketAddressString(NetUtil.toAddressString(address), port);
    }
}
