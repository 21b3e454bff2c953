package dev.junction.control;

import dev.junction.model.Cidr;
import dev.junction.model.CidrSet;
import dev.junction.observe.SyncHealth;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1Taint;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node as routing sees it: its zone (from its Node object), whether it may serve (kube-proxy's
 * eligibility, reported to health), the addresses its NodePorts listen on, and the sources whose traffic is
 * its own (kube-proxy's local traffic detection, which externalTrafficPolicy Local short-circuits): its
 * NodePort addresses, loopback, and its pods, known by the Node's {@code spec.podCIDRs} (kube-proxy's
 * {@code NodeCIDR} mode) or, when given, by the cluster CIDRs ({@code ClusterCIDR} mode).
 * {@link #readAddresses} runs on the {@code junction-control} maintenance thread; {@link #podsByClusterCidr}
 * before the first change; everything else only in the control context.
 */
final class NodeState {

    private static final Logger log = LoggerFactory.getLogger(NodeState.class);

    /** Only this host sends from these: every 127.0.0.0/8 address and ::1 are its own. */
    private static final List<Cidr> LOOPBACK = List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128"));

    /** Set by the cluster autoscaler on a node it is about to remove; kube-proxy then fails /healthz. */
    static final String TO_BE_DELETED_TAINT = "ToBeDeletedByClusterAutoscaler";

    private final ControlContext<?> context;
    private final String name;
    private String zone;
    /** Where NodePorts listen; replaced when a re-read finds them changed. */
    private List<InetAddress> nodePortAddresses;
    private SyncHealth health = SyncHealth.NONE;
    /** The Node's {@code spec.podCIDRs}; empty until it is seen. */
    private List<Cidr> podCidrs = List.of();
    /** Where this node's pods send from in ClusterCIDR mode; null: NodeCIDR mode, its {@link #podCidrs}. */
    private List<Cidr> clusterCidrs;
    /** Made again only when what it is made of changes, so every route shares one. */
    private CidrSet localSources;
    /** Re-reads the NodePort addresses (see {@link #follow}); null: they never change. */
    private Supplier<List<InetAddress>> addressSource;
    /** What the last read found. */
    private volatile List<InetAddress> lastRead;

    NodeState(ControlContext<?> context, String name, List<InetAddress> nodePortAddresses) {
        this.context = context;
        this.name = Objects.requireNonNull(name, "name");
        this.nodePortAddresses = List.copyOf(nodePortAddresses);
        this.lastRead = this.nodePortAddresses;
        this.localSources = localSources();
    }

    /**
     * Counts traffic from {@code cidrs} as this node's pods, as kube-proxy's {@code ClusterCIDR} local
     * detection does, instead of the Node's {@code spec.podCIDRs}; call before the first change.
     */
    void podsByClusterCidr(List<Cidr> cidrs) {
        this.clusterCidrs = List.copyOf(cidrs);
        this.localSources = localSources();
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
        localSources = localSources();
        return true;
    }

    /**
     * Records a Node; only this node's matters. Returns whether every Service's routes changed with it: its
     * zone decides PreferSameZone hints for all of them, and in NodeCIDR mode its pod CIDRs decide which
     * clients externalTrafficPolicy Local short-circuits.
     */
    boolean record(V1Node node, boolean deleted) {
        context.throwIfNotInThisContext();
        if (node.getMetadata() == null || !name.equals(node.getMetadata().getName())) {
            return false;
        }
        health.nodeEligible(!deleted && eligible(node));
        String newZone = NodeInfo.of(name, deleted ? null : node, nodePortAddresses).zone();
        boolean changed = !Objects.equals(zone, newZone);
        zone = newZone;
        List<Cidr> newPodCidrs = deleted ? List.of() : podCidrs(node);
        if (!newPodCidrs.equals(podCidrs)) {
            podCidrs = newPodCidrs;
            if (clusterCidrs == null) {
                log.info("this node's pods, whose calls eTP Local short-circuits: {} (its spec.podCIDRs)",
                        newPodCidrs.isEmpty() ? "none known" : newPodCidrs);
                localSources = localSources();
                changed = true;
            }
        }
        return changed;
    }

    /** What route building needs; made once per batch and shared by its Services. */
    NodeInfo info() {
        return new NodeInfo(name, zone, nodePortAddresses, localSources);
    }

    private CidrSet localSources() {
        List<Cidr> sources = new ArrayList<>();
        nodePortAddresses.forEach(a -> sources.add(Cidr.host(a)));
        sources.addAll(LOOPBACK);
        sources.addAll(clusterCidrs != null ? clusterCidrs : podCidrs);
        return CidrSet.of(sources);
    }

    /** The Node's {@code spec.podCIDRs}, which {@code source.ObjectValidator} checked. */
    private static List<Cidr> podCidrs(V1Node node) {
        List<String> texts = node.getSpec() == null ? null : node.getSpec().getPodCIDRs();
        return texts == null ? List.of() : texts.stream().map(Cidr::parse).toList();
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
