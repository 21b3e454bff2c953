package dev.junction.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Everything Junction is configured with, immutable and validated on construction: a bad value fails
 * with one message naming the setting and the reason.
 *
 * @param source          where the desired state comes from: a manifest directory or the Kubernetes API
 * @param capture         how Service traffic reaches the listeners
 * @param nodeName        this node's name, for Local traffic policies and topology hints
 * @param workers         event loops
 * @param loadBalancing   default policy label for Services without the annotation
 * @param connectTimeout  per connect attempt to an endpoint
 * @param idleTimeout     a TCP connection idle this long in both directions is closed; zero disables
 * @param udpIdleTimeout  a UDP session idle this long in both directions is closed (kube-proxy's
 *                        conntrack UDP timeout)
 * @param udpMaxSessions  UDP sessions per frontend; beyond it the least recently active one is evicted
 * @param nodePortAddresses CIDRs selecting the node addresses NodePorts listen on; empty: route capture uses
 *                        every non-loopback address, none capture serves no NodePorts
 * @param keepRoutes      route capture leaves its routes in place on shutdown, for a fast restart
 * @param transport       the event loops' I/O mechanism
 */
public record ProxyConfig(
        Source source, CaptureMode capture, String nodeName, int workers, String loadBalancing,
        Duration connectTimeout, Duration idleTimeout, Duration udpIdleTimeout, int udpMaxSessions,
        List<String> nodePortAddresses, boolean keepRoutes, TransportMode transport) {

    /** How traffic for virtual addresses reaches Junction. */
    public enum CaptureMode {
        /** Bind only addresses that are already local; install nothing. */
        NONE,
        /** A local route per virtual address, listeners bound to it with IP_FREEBIND. */
        ROUTE;

        /** The flag's spelling. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The event loops' I/O mechanism: {@link #AUTO} takes the first of io_uring, epoll and NIO that works. */
    public enum TransportMode {
        AUTO, IO_URING, EPOLL, NIO;

        /** The flag's spelling. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** kube-proxy's conntrack UDP timeout, the default UDP session idle timeout. */
    public static final Duration DEFAULT_UDP_IDLE_TIMEOUT = Duration.ofSeconds(30);
    public static final int DEFAULT_UDP_MAX_SESSIONS = 65536;

    /**
     * A configuration with default UDP settings, without NodePort address selection, that removes its
     * routes on shutdown and picks its transport.
     */
    public ProxyConfig(Source source, CaptureMode capture, String nodeName, int workers, String loadBalancing,
            Duration connectTimeout, Duration idleTimeout) {
        this(source, capture, nodeName, workers, loadBalancing, connectTimeout, idleTimeout,
                DEFAULT_UDP_IDLE_TIMEOUT, DEFAULT_UDP_MAX_SESSIONS, List.of(), false, TransportMode.AUTO);
    }

    /** The source of Services, EndpointSlices and the Node: the two are alternatives. */
    public sealed interface Source permits Manifests, KubeApi {
    }

    /** The file source: a directory of manifests, reloaded when it changes. */
    public record Manifests(Path dir) implements Source {
        public Manifests {
            Objects.requireNonNull(dir, "--manifests: directory");
        }
    }

    /**
     * The Kubernetes API. Both fields are optional: without {@code kubeconfig} the configuration is
     * discovered as kubectl does (KUBECONFIG, ~/.kube/config, in-cluster); {@code master} overrides the server.
     */
    public record KubeApi(Path kubeconfig, String master) implements Source {
        public KubeApi {
            if (master != null && !(master.startsWith("https://") || master.startsWith("http://"))) {
                throw new IllegalArgumentException("--master: \"" + master + "\" is not an http:// or https:// URL");
            }
        }
    }

    public ProxyConfig {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(capture, "capture");
        if (nodeName == null || nodeName.isBlank()) {
            throw new IllegalArgumentException("--hostname-override: node name must not be empty");
        }
        if (workers < 1 || workers > 1024) {
            throw new IllegalArgumentException("--workers: " + workers + " is out of range 1-1024");
        }
        Objects.requireNonNull(loadBalancing, "loadBalancing");
        if (connectTimeout.isNegative() || connectTimeout.isZero() || connectTimeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("--connect-timeout: must be positive, got " + connectTimeout);
        }
        if (idleTimeout.isNegative()) {
            throw new IllegalArgumentException("--idle-timeout: must not be negative, got " + idleTimeout);
        }
        if (udpIdleTimeout.isNegative() || udpIdleTimeout.isZero()) {
            throw new IllegalArgumentException("--udp-idle-timeout: must be positive, got " + udpIdleTimeout);
        }
        if (udpMaxSessions < 1) {
            throw new IllegalArgumentException("--udp-max-sessions: must be at least 1, got " + udpMaxSessions);
        }
        nodePortAddresses = List.copyOf(nodePortAddresses);
        Objects.requireNonNull(transport, "transport");
    }
}
