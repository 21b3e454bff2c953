package dev.junction.control;

import dev.junction.observe.SyncHealth;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1Taint;
import java.net.InetAddress;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node as routing sees it: its zone (from its Node object), whether it may serve (kube-proxy's
 * eligibility, reported to health) and the addresses its NodePorts listen on. {@link #readAddresses} runs on
 * the {@code junction-control} maintenance thread; everything else only in the control context.
 */
final class NodeState {

    private static final Logger log = LoggerFactory.getLogger(NodeState.class);

    /** Set by the cluster autoscaler on a node it is about to remove; kube-proxy then fails /healthz. */
    static final String TO_BE_DELETED_TAINT = "ToBeDeletedByClusterAutoscaler";

    private final ControlContext<?> context;
    private final String name;
    private String zone;
    /** Where NodePorts listen; replaced when a re-read finds them changed. */
    private List<InetAddress> nodePortAddresses;
    private SyncHealth health = SyncHealth.NONE;
    /** Re-reads the NodePort addresses (see {@link #follow}); null: they never change. */
    private Supplier<List<InetAddress>> addressSource;
    /** What the last read found. */
    private volatile List<InetAddress> lastRead;

    NodeState(ControlContext<?> context, String name, List<InetAddress> nodePortAddresses) {
        this.context = context;
        this.name = Objects.requireNonNull(name, "name");
        this.nodePortAddresses = List.copyOf(nodePortAddresses);
        this.lastRead = this.nodePortAddresses;
    }

    /** Reports this node's eligibility to {@code health}; call before the first change. */
    void reportTo(SyncHealth health) {
        this.health = Objects.requireNonNull(health, "health");
    }

    /** Re-reads the NodePort addresses from {@code addresses} on each {@link #readAddresses}. */
    void follow(Supplier<List<InetAddress>> addresses) {
        this.addressSource = Objects.requireNonNull(addresses, "addresses");
    }

    /**
     * Reads the NodePort addresses; returns them when they differ (as a set: the order interfaces are listed
     * in is no change) from what the last read found, else null. Also null when nothing is followed or the
     * read fails.
     */
    List<InetAddress> readAddresses() {
        if (addressSource == null) {
            return null;
        }
        List<InetAddress> now;
        try {
            now = List.copyOf(addressSource.get());
        } catch (RuntimeException e) {
            log.warn("cannot read this node's addresses, NodePorts stay where they are: {}", e.getMessage());
            return null;
        }
        if (Set.copyOf(now).equals(Set.copyOf(lastRead))) {
            return null;
        }
        lastRead = now;
        return now;
    }

    /** Takes {@code addresses} for the NodePorts; returns whether they changed, and all routes with them. */
    boolean recordAddresses(List<InetAddress> addresses) {
        context.throwIfNotInThisContext();
        if (Set.copyOf(addresses).equals(Set.copyOf(nodePortAddresses))) {
            return false;
        }
        log.info("NodePort addresses now {} (were {})", names(addresses), names(nodePortAddresses));
        nodePortAddresses = addresses;
        return true;
    }

    /**
     * Records a Node; only this node's matters. Returns whether every Service's routes changed with it: its
     * zone decides PreferSameZone hints for all of them.
     */
    boolean record(V1Node node, boolean deleted) {
        context.throwIfNotInThisContext();
        if (node.getMetadata() == null || !name.equals(node.getMetadata().getName())) {
            return false;
        }
        health.nodeEligible(!deleted && eligible(node));
        String newZone = NodeInfo.of(name, deleted ? null : node, nodePortAddresses).zone();
        if (Objects.equals(zone, newZone)) {
            return false;
        }
        zone = newZone;
        return true;
    }

    /** What route building needs; made once per batch and shared by its Services. */
    NodeInfo info() {
        return new NodeInfo(name, zone, nodePortAddresses);
    }

    /** kube-proxy's node eligibility: not being deleted, not tainted for removal by the autoscaler. */
    private static boolean eligible(V1Node node) {
        if (node.getMetadata().getDeletionTimestamp() != null) {
            return false;
        }
        List<V1Taint> taints = node.getSpec() == null ? null : node.getSpec().getTaints();
        return taints == null || taints.stream().noneMatch(t -> TO_BE_DELETED_TAINT.equals(t.getKey()));
    }

    private static List<String> names(List<InetAddress> addresses) {
        return addresses.stream().map(InetAddress::getHostAddress).toList();
    }
}
