package dev.junction.handover;

import dev.junction.model.Addresses;
import dev.junction.model.Protocol;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Locale;

/**
 * One listening socket as the handover protocol describes it, one line each: {@code role protocol address port}.
 * The descriptor itself travels separately (SCM_RIGHTS), in the order of the lines. Immutable.
 *
 * @param role     what the socket serves
 * @param protocol TCP or UDP
 * @param address  the address and port it is bound to
 */
public record HandedSocket(Role role, Protocol protocol, InetSocketAddress address) {

    /** What a handed socket serves, so the new process knows where it belongs. */
    public enum Role {
        /**
         * A Service frontend (ClusterIP, NodePort, externalIP or LoadBalancer address): a TCP listener or a UDP
         * socket; the data plane binds every kind the same way, so the kind is not told apart here.
         */
        FRONTEND,
        HEALTH_CHECK_NODE_PORT,
        /** /healthz and /livez. */
        HEALTH,
        /** /metrics and the rest of the admin server. */
        METRICS
    }

    /** The protocol line. */
    String line() {
        return role.name().toLowerCase(Locale.ROOT) + ' ' + protocol.name().toLowerCase(Locale.ROOT) + ' '
                + address.getAddress().getHostAddress() + ' ' + address.getPort();
    }

    /**
     * Reads a protocol line.
     *
     * @throws IllegalArgumentException naming the line when it is not one
     */
    static HandedSocket parse(String line) {
        String[] f = line.split(" ");
        if (f.length != 4) {
            throw new IllegalArgumentException("not a socket line: \"" + line + "\"");
        }
        try {
            InetAddress address = Addresses.parse(f[2]);
            int port = Integer.parseInt(f[3]);
            return new HandedSocket(Role.valueOf(f[0].toUpperCase(Locale.ROOT)),
                    Protocol.valueOf(f[1].toUpperCase(Locale.ROOT)), new InetSocketAddress(address, port));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a socket line: \"" + line + "\" (" + e.getMessage() + ")", e);
        }
    }

    @Override
    public String toString() {
        return line();
    }
}
