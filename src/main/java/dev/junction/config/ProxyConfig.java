package dev.junction.config;

import java.nio.file.Path;
import java.time.Duration;
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
 */
public record ProxyConfig(
        Source source, CaptureMode capture, String nodeName, int workers, String loadBalancing,
        Duration connectTimeout, Duration idleTimeout) {

    /** How traffic for virtual addresses reaches Junction. */
    public enum CaptureMode { NONE }

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
    }
}
