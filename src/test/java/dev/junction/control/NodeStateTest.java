package dev.junction.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.model.Cidr;
import dev.junction.model.CidrSet;
import dev.junction.observe.SyncHealth;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1NodeSpec;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** This node's zone, eligibility and NodePort addresses, and when they change routes. */
class NodeStateTest {

    private static final InetAddress A = ip("10.0.0.1");
    private static final InetAddress B = ip("10.0.0.2");

    private final InContext in = new InContext();
    private final NodeState node = new NodeState(in.context, "node-a", List.of(A, B));

    @Test
    void aReadReportsTheAddressesOnlyWhenTheirSetChanged() {
        List<InetAddress> onTheNode = new CopyOnWriteArrayList<>(List.of(A, B));
        node.follow(() -> onTheNode);
        assertNull(node.readAddresses(), "unchanged");

        onTheNode.clear();
        onTheNode.addAll(List.of(B, A));
        assertNull(node.readAddresses(), "the order interfaces are listed in is no change");

        onTheNode.remove(A);
        assertEquals(List.of(B), node.readAddresses());
        assertNull(node.readAddresses(), "reported once");
    }

    @Test
    void aFailedReadOrNothingToFollowReadsNothing() {
        assertNull(node.readAddresses(), "nothing followed");
        node.follow(() -> {
            throw new IllegalStateException("netlink said no");
        });
        assertNull(node.readAddresses());
    }

    @Test
    void newNodePortAddressesChangeRoutesAndReachNodeInfo() {
        assertFalse(in.call(() -> node.recordAddresses(List.of(B, A))), "same set");
        assertTrue(in.call(() -> node.recordAddresses(List.of(B))));
        assertEquals(List.of(B), in.call(node::info).nodePortAddresses());
    }

    @Test
    void onlyThisNodesZoneChangesRoutes() {
        assertTrue(in.call(() -> node.record(node("node-a", "zone-a"), false)));
        assertFalse(in.call(() -> node.record(node("node-a", "zone-a"), false)), "same zone");
        assertFalse(in.call(() -> node.record(node("node-b", "zone-b"), false)), "another node");
        assertEquals("zone-a", in.call(node::info).zone());

        assertTrue(in.call(() -> node.record(node("node-a", "zone-a"), true)), "deleted: zone unknown");
        assertNull(in.call(node::info).zone());
    }

    /**
     * kube-proxy's local traffic detection in NodeCIDR mode (TestOverallNFTablesRules "short-circuit pod
     * traffic", "short-circuit local traffic"): this node's own sources are its NodePort addresses, loopback
     * and its Node's pod CIDRs, which change every route when they change.
     */
    @Test
    void localSourcesAreTheNodeAddressesLoopbackAndThePodCidrsOfTheNode() {
        assertEquals(sources("10.0.0.1", "10.0.0.2", "127.0.0.0/8", "::1/128"), in.call(node::info).localSources(),
                "before the Node is seen");
        assertTrue(in.call(() -> node.record(node("node-a", "zone-a", "10.244.3.0/24", "fd00:3::/64"), false)));
        assertEquals(sources("10.0.0.1", "10.0.0.2", "127.0.0.0/8", "::1/128", "10.244.3.0/24", "fd00:3::/64"),
                in.call(node::info).localSources());
        assertFalse(in.call(() -> node.record(node("node-a", "zone-a", "10.244.3.0/24", "fd00:3::/64"), false)),
                "the same pod CIDRs");
        assertTrue(in.call(() -> node.record(node("node-a", "zone-a", "10.244.9.0/24"), false)));
        assertTrue(in.call(() -> node.recordAddresses(List.of(B))));
        assertEquals(sources("10.0.0.2", "127.0.0.0/8", "::1/128", "10.244.9.0/24"), in.call(node::info).localSources());
    }

    /** kube-proxy's ClusterCIDR mode: the cluster CIDRs stand for this node's pods; the Node's are not read. */
    @Test
    void clusterCidrsReplaceThePodCidrsOfTheNode() {
        node.podsByClusterCidr(List.of(Cidr.parse("10.244.0.0/16")));
        assertEquals(sources("10.0.0.1", "10.0.0.2", "127.0.0.0/8", "::1/128", "10.244.0.0/16"),
                in.call(node::info).localSources());
        assertFalse(in.call(() -> node.record(node("node-a", null, "10.244.3.0/24"), false)),
                "the Node's pod CIDRs change no route");
        assertEquals(sources("10.0.0.1", "10.0.0.2", "127.0.0.0/8", "::1/128", "10.244.0.0/16"),
                in.call(node::info).localSources());
    }

    @Test
    void thisNodesEligibilityIsReportedToHealth() {
        List<Boolean> eligible = new ArrayList<>();
        node.reportTo(new SyncHealth() {
            @Override
            public void queued() {
            }

            @Override
            public void applied() {
            }

            @Override
            public void nodeEligible(boolean e) {
                eligible.add(e);
            }

            @Override
            public void sourceStalled(boolean stalled) {
            }
        });
        V1Node deleting = node("node-a", "zone-a");
        deleting.getMetadata().deletionTimestamp(OffsetDateTime.now());
        in.call(() -> node.record(node("node-a", "zone-a"), false));
        in.call(() -> node.record(deleting, false));
        in.call(() -> node.record(node("node-b", "zone-a"), true));
        in.call(() -> node.record(node("node-a", "zone-a"), true));
        assertEquals(List.of(true, false, false), eligible);
    }

    @Test
    void recordingOutsideTheControlContextThrows() {
        assertThrows(IllegalStateException.class, () -> node.record(node("node-a", "zone-a"), false));
        assertThrows(IllegalStateException.class, () -> node.recordAddresses(List.of()));
    }

    private static V1Node node(String name, String zone) {
        return new V1Node().metadata(new V1ObjectMeta().name(name).putLabelsItem(NodeInfo.ZONE_LABEL, zone));
    }

    private static V1Node node(String name, String zone, String... podCidrs) {
        return node(name, zone).spec(new V1NodeSpec().podCIDRs(List.of(podCidrs)));
    }

    private static CidrSet sources(String... cidrs) {
        return CidrSet.of(Arrays.stream(cidrs).map(Cidr::parse).toList());
    }

    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
