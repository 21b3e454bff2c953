package dev.junction.control;

import dev.junction.model.Cidr;
import dev.junction.model.CidrSet;
import dev.junction.model.Endpoint;
import dev.junction.model.Frontend;
import dev.junction.model.FrontendKind;
import dev.junction.model.LbPolicy;
import dev.junction.model.Protocol;
import dev.junction.model.ProxyProtocol;
import dev.junction.model.ServicePortName;
import dev.junction.model.ServiceRoute;
import dev.junction.model.ShortCircuit;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Links, once at startup, what the first change after the initial sync would otherwise link on its way
 * live: the generated {@code equals}/{@code hashCode} of the change path's value records bootstrap through
 * invokedynamic on their first call (the hash keys' during the initial sync), and several of them (a slice or route compared with its previous
 * version) are first called by that change, not by the initial sync; java.time's date arithmetic loads its classes
 * on first use. Together that cost the first change tens of milliseconds ({@code KubeScaleBench}). Runs in
 * the constructor of the control plane, before any source starts.
 */
final class ChangePathWarmUp {

    private ChangePathWarmUp() {
    }

    static void run() {
        InetAddress address = InetAddress.getLoopbackAddress();
        ServicePortName port = new ServicePortName("", "", "", Protocol.TCP);
        Endpoint endpoint = new Endpoint(address, 1);
        SliceEndpoint sliceEndpoint = SliceEndpoint.of(address, null, true, true, false, Set.of(), Set.of());
        CachedSlice.Port slicePort = new CachedSlice.Port("", Protocol.TCP, 1);
        compare(new ServiceKey("", ""), new ServiceKey("", "x"));
        compare(port, new ServicePortName("", "", "", Protocol.UDP));
        compare(endpoint, new Endpoint(address, 2));
        compare(new Frontend(address, 1, Protocol.TCP), new Frontend(address, 2, Protocol.TCP));
        compare(new ServiceRoute(port, FrontendKind.CLUSTER_IP, List.of(endpoint), LbPolicy.ROUND_ROBIN,
                        Duration.ZERO, List.of(Cidr.parse("0.0.0.0/0")), ProxyProtocol.NONE),
                new ServiceRoute(port, FrontendKind.CLUSTER_IP, List.of(), LbPolicy.ROUND_ROBIN, Duration.ZERO,
                        List.of(), ProxyProtocol.NONE));
        compare(new ShortCircuit(CidrSet.of(List.of(Cidr.parse("127.0.0.0/8"))), List.of(endpoint)), ShortCircuit.NONE);
        compare(sliceEndpoint, SliceEndpoint.of(address, "x", true, true, false, Set.of(), Set.of()));
        compare(slicePort, new CachedSlice.Port("", Protocol.TCP, 2));
        compare(new CachedSlice("", "", CachedSlice.IPV4, List.of(slicePort), List.of(sliceEndpoint)),
                new CachedSlice("", "", CachedSlice.IPV4, List.of(), List.of()));
        ControlPlaneMetrics.parseTriggerTime("2000-01-01T00:00:00.000000001Z");
    }

    private static void compare(Object a, Object b) {
        a.hashCode();
        if (a.equals(b)) {
            throw new AssertionError("warm-up values must differ: " + a);
        }
    }
}
