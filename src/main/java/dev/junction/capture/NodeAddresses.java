package dev.junction.capture;

import dev.junction.model.Cidr;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** This host's own interface addresses: which are local, and which NodePorts listen on. Stateless. */
public final class NodeAddresses {

    private NodeAddresses() {
    }

    /** True when {@code address} is assigned to an interface here (all of 127.0.0.0/8 and ::1 count). */
    static boolean isLocal(InetAddress address) {
        if (address.isLoopbackAddress()) {
            return true;
        }
        try {
            return NetworkInterface.getByInetAddress(address) != null;
        } catch (SocketException e) {
            return false;
        }
    }

    /** Every address assigned to an interface here, up or down; one walk over the interfaces. */
    static Set<InetAddress> interfaceAddresses() {
        Set<InetAddress> out = new HashSet<>();
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                out.addAll(Collections.list(nic.getInetAddresses()));
            }
        } catch (SocketException e) {
            throw new IllegalStateException("cannot list this host's addresses: " + e.getMessage(), e);
        }
        return out;
    }

    /**
     * The addresses NodePorts listen on: this host's interface addresses inside one of {@code cidrs}, or,
     * with no cidrs, every address except loopback and link-local ones (kube-proxy would bind the node's
     * primary IPs; on a node every non-loopback address is reachable from somewhere). Read at start, and
     * again every 10 s by the control plane.
     */
    public static List<InetAddress> nodePortAddresses(List<Cidr> cidrs) {
        List<InetAddress> all = new ArrayList<>();
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (nic.isUp()) {
                    all.addAll(Collections.list(nic.getInetAddresses()));
                }
            }
        } catch (SocketException e) {
            throw new IllegalStateException("cannot list this host's addresses: " + e.getMessage(), e);
        }
        return select(all, cidrs);
    }

    /**
     * The node's primary IPs, for kube-proxy's {@code nodePortAddresses: [primary]}: {@code bindAddress} when
     * it names one, else per family the source address of this host's default route, the address kubelet
     * reports as the Node's InternalIP unless told otherwise (kube-proxy reads that InternalIP). A family
     * without a default route has none. Read at start, and again every 10 s by the control plane.
     */
    public static List<InetAddress> primary(InetAddress bindAddress) {
        if (bindAddress != null && !bindAddress.isAnyLocalAddress()) {
            return List.of(bindAddress);
        }
        List<InetAddress> out = new ArrayList<>();
        // Documentation prefixes (RFC 5737, RFC 3849): routed by the default route, never a real peer.
        for (String probe : new String[] {"192.0.2.1", "2001:db8::1"}) {
            routeSource(probe).ifPresent(out::add);
        }
        return out;
    }

    /** The source address the kernel picks for {@code destination}; connecting a UDP socket sends nothing. */
    private static Optional<InetAddress> routeSource(String destination) {
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.connect(new InetSocketAddress(InetAddress.getByName(destination), 9));
            InetAddress source = socket.getLocalAddress();
            return source.isAnyLocalAddress() || source.isLoopbackAddress() ? Optional.empty() : Optional.of(source);
        } catch (IOException | UncheckedIOException e) {
            return Optional.empty();
        }
    }

    static List<InetAddress> select(List<InetAddress> addresses, List<Cidr> cidrs) {
        List<InetAddress> out = new ArrayList<>();
        for (InetAddress a : addresses) {
            boolean wanted = cidrs.isEmpty()
                    ? !a.isLoopbackAddress() && !a.isLinkLocalAddress()
                    : cidrs.stream().anyMatch(c -> c.contains(a));
            if (wanted && !out.contains(a)) {
                out.add(a);
            }
        }
        return out;
    }
}
