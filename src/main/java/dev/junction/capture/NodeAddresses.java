package dev.junction.capture;

import dev.junction.model.Cidr;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
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
