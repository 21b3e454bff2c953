package dev.junction.config;

import com.sun.management.UnixOperatingSystemMXBean;
import dev.junction.model.Cidr;
import dev.junction.model.LbPolicy;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Everything Junction is configured with, immutable and validated on construction: a bad value fails
 * with one message naming the setting and the reason. {@link #builder} starts from the defaults the flags
 * document; flags ({@link ProxyOptions}) and the {@code --config} file ({@code ConfigFile}) set what they give.
 *
 * @param source          where the desired state comes from: a manifest directory or the Kubernetes API
 * @param capture         how Service traffic reaches the listeners
 * @param nodeName        this node's name, for Local traffic policies and topology hints
 * @param workers         event loops
 * @param loadBalancing   default policy for Services without the annotation
 * @param connectTimeout  per connect attempt to an endpoint
 * @param idleTimeout     a TCP connection idle this long in both directions is closed; zero disables
 * @param halfCloseTimeout a TCP connection one side of which has sent its FIN is closed once idle this long
 *                        (HAProxy's timeout client-fin/server-fin); zero: the idle timeout applies
 * @param udpIdleTimeout  a UDP session idle this long in both directions is closed (kube-proxy's
 *                        conntrack UDP timeout)
 * @param udpMaxSessions  UDP sessions of all frontends together; beyond it new clients are refused
 * @param nodePortAddresses which node addresses NodePorts listen on
 * @param clusterCidrs    the cluster's pod prefixes, at most one per IP family (kube-proxy's clusterCIDR)
 * @param detectLocalMode how this node's pods are told apart, for externalTrafficPolicy Local's short-circuit
 * @param bindAddress     kube-proxy's bindAddress when it names one address (null: unspecified); with
 *                        {@code nodePortAddresses: [primary]} it is the node's primary IP, as in kube-proxy
 * @param keepRoutes      route capture leaves its routes in place on shutdown, for a fast restart
 * @param handoverSocket  the UNIX socket a running Junction hands its listening sockets over on to the next one
 *                        (null: no handover); {@code run} defaults to {@link #DEFAULT_HANDOVER_SOCKET}
 * @param transport       the event loops' I/O mechanism
 * @param kubeClient      how the Kubernetes API source talks to the API server (kube-proxy's clientConnection)
 * @param operations      health and metrics servers, sync and shutdown grace periods
 * @param logLevel        the root logger's level
 * @param logFormat       text or JSON lines
 * @param warnings        settings accepted without effect, each one line to log once at start
 */
public record ProxyConfig(
        Source source, CaptureMode capture, String nodeName, int workers, LbPolicy loadBalancing,
        Duration connectTimeout, Duration idleTimeout, Duration halfCloseTimeout, Duration udpIdleTimeout,
        int udpMaxSessions, NodePortAddresses nodePortAddresses, List<Cidr> clusterCidrs, DetectLocalMode detectLocalMode,
        InetAddress bindAddress, boolean keepRoutes, Path handoverSocket, TransportMode transport, KubeClient kubeClient,
        OperationsConfig operations,
        LogLevel logLevel, LogFormat logFormat, List<String> warnings) {

    // The defaults as the flags spell them: the help text shows these very constants.
    public static final String DEFAULT_TRANSPORT = "auto";
    public static final String DEFAULT_HANDOVER_SOCKET = "/run/junction/handover.sock";
    public static final String DEFAULT_LB = "round-robin";
    public static final String DEFAULT_CONNECT_TIMEOUT = "1s";
    public static final String DEFAULT_IDLE_TIMEOUT = "1h";
    /**
     * Long past any answer a client that has finished sending still waits for, yet not the idle timeout's hour
     * for a connection whose client has gone and whose endpoint never answers. kube-proxy keeps conntrack's
     * CLOSE_WAIT entries 1h because the kernel's 60s broke clients in long silences (kubernetes#32551);
     * this timeout restarts on every byte either way, so a half-closed connection that still moves is never cut.
     */
    public static final String DEFAULT_HALF_CLOSE_TIMEOUT = "5m";
    /** kube-proxy's conntrack UDP timeout. */
    public static final String DEFAULT_UDP_IDLE_TIMEOUT = "30s";
    /**
     * {@code --udp-max-sessions} when not given: half the open-files limit (RLIMIT_NOFILE, the soft limit),
     * since each session holds a descriptor; the other half is left to TCP (two descriptors per connection),
     * listeners and the rest of the process. Where the limit is unknown, {@value #UDP_MAX_SESSIONS_UNKNOWN_LIMIT}.
     */
    public static final String DEFAULT_UDP_MAX_SESSIONS = "half the open-files limit (RLIMIT_NOFILE)";
    static final int UDP_MAX_SESSIONS_UNKNOWN_LIMIT = 65536;
    public static final String DEFAULT_LOG_LEVEL = "info";
    public static final String DEFAULT_LOG_FORMAT = "text";

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

        /** @throws IllegalArgumentException naming the text and the labels */
        public static CaptureMode parse(String text) {
            return byLabel("capture mode", text, ROUTE, NONE);
        }
    }

    /** kube-proxy's default content type: protobuf, with JSON as the fallback. */
    public static final String DEFAULT_KUBE_API_CONTENT_TYPE = "protobuf";
    /** kube-proxy's defaults (its clientConnection's qps and burst). */
    public static final String DEFAULT_KUBE_API_QPS = "5";
    public static final String DEFAULT_KUBE_API_BURST = "10";

    /** What the Kubernetes API source asks the API server for. */
    public enum ContentType {
        /** {@code application/vnd.kubernetes.protobuf}, JSON accepted too and used when protobuf is refused. */
        PROTOBUF("application/vnd.kubernetes.protobuf"),
        /** {@code application/json} only. */
        JSON("application/json");

        private final String mediaType;

        ContentType(String mediaType) {
            this.mediaType = mediaType;
        }

        /** kube-proxy's spelling, in its configuration file. */
        public String mediaType() {
            return mediaType;
        }

        /** @throws IllegalArgumentException naming the text and the labels */
        public static ContentType parse(String text) {
            return byLabel("content type", text, values());
        }

        /**
         * From kube-proxy's {@code clientConnection.contentType} (a media type).
         *
         * @throws IllegalArgumentException naming the text and the media types
         */
        public static ContentType ofMediaType(String text) {
            for (ContentType t : values()) {
                if (t.mediaType.equals(text)) {
                    return t;
                }
            }
            throw new IllegalArgumentException("unsupported content type \"" + text + "\" (expected: "
                    + PROTOBUF.mediaType + " or " + JSON.mediaType + ")");
        }
    }

    /**
     * How the Kubernetes API source talks to the API server, as kube-proxy's {@code clientConnection}.
     *
     * @param contentType what it asks for
     * @param qps         lists (and relists) started per second once the burst is spent; watches are not counted
     * @param burst       lists that may start at once
     */
    public record KubeClient(ContentType contentType, double qps, int burst) {
        public KubeClient {
            Objects.requireNonNull(contentType, "contentType");
            if (!(qps > 0) || Double.isInfinite(qps)) {
                throw new IllegalArgumentException("--kube-api-qps: must be positive, got " + qps);
            }
            if (burst < 1) {
                throw new IllegalArgumentException("--kube-api-burst: must be at least 1, got " + burst);
            }
        }
    }

    /** The event loops' I/O mechanism: {@link #AUTO} takes the first of io_uring, epoll and NIO that works. */
    public enum TransportMode {
        AUTO, IO_URING, EPOLL, NIO;

        /** @throws IllegalArgumentException naming the text and the labels */
        public static TransportMode parse(String text) {
            return byLabel("transport", text, values());
        }
    }

    /** The constant whose label (its lower-case name) is {@code text}; anything else lists the labels. */
    @SafeVarargs
    static <E extends Enum<E>> E byLabel(String what, String text, E... values) {
        List<String> labels = new ArrayList<>();
        for (E e : values) {
            String label = e.name().toLowerCase(Locale.ROOT);
            if (label.equals(text)) {
                return e;
            }
            labels.add(label);
        }
        String expected = String.join(", ", labels.subList(0, labels.size() - 1)) + " or " + labels.get(labels.size() - 1);
        throw new IllegalArgumentException("unknown " + what + " \"" + text + "\" (expected: " + expected + ")");
    }

    /**
     * kube-proxy's local traffic detection, as far as a proxy in user space can do it: which sources are this
     * node's pods, whose calls to an externalTrafficPolicy Local frontend go to the cluster endpoints.
     */
    public enum DetectLocalMode {
        /** Sources inside {@code clusterCIDR}. */
        CLUSTER_CIDR("ClusterCIDR"),
        /** Sources inside the Node's {@code spec.podCIDRs}. */
        NODE_CIDR("NodeCIDR");

        private final String label;

        DetectLocalMode(String label) {
            this.label = label;
        }

        /** kube-proxy's spelling. */
        public String label() {
            return label;
        }

        /** @throws IllegalArgumentException naming the text and the modes Junction has */
        public static DetectLocalMode parse(String text) {
            for (DetectLocalMode m : values()) {
                if (m.label.equals(text)) {
                    return m;
                }
            }
            if ("BridgeInterface".equals(text) || "InterfaceNamePrefix".equals(text)) {
                throw new IllegalArgumentException("detect-local mode " + text + " is not supported: it needs the "
                        + "interface each connection came in on (use ClusterCIDR or NodeCIDR)");
            }
            throw new IllegalArgumentException(
                    "unknown detect-local mode \"" + text + "\" (expected: ClusterCIDR or NodeCIDR)");
        }
    }

    /**
     * kube-proxy's rule for {@code clusterCIDR}: one prefix, or two of different IP families.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    static void checkClusterCidrs(List<Cidr> cidrs) {
        if (cidrs.size() > 2 || cidrs.size() == 2 && cidrs.get(0).isIpv4() == cidrs.get(1).isIpv4()) {
            throw new IllegalArgumentException("at most one CIDR per IP family, got " + cidrs);
        }
    }

    /** The source of Services, EndpointSlices and the Node: the two are alternatives. */
    public sealed interface Source permits Manifests, KubeApi {

        /**
         * The manifest directory when given, else the Kubernetes API.
         *
         * @throws IllegalArgumentException when a directory and an API setting are both given
         */
        static Source of(Path manifests, Path kubeconfig, String master) {
            if (manifests != null && (kubeconfig != null || master != null)) {
                throw new IllegalArgumentException("--manifests and " + (kubeconfig != null ? "--kubeconfig" : "--master")
                        + " are alternative sources: give one");
            }
            return manifests != null ? new Manifests(manifests) : new KubeApi(kubeconfig, master);
        }
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
        if (halfCloseTimeout.isNegative()) {
            throw new IllegalArgumentException("--half-close-timeout: must not be negative, got " + halfCloseTimeout);
        }
        if (udpIdleTimeout.isNegative() || udpIdleTimeout.isZero()) {
            throw new IllegalArgumentException("--udp-idle-timeout: must be positive, got " + udpIdleTimeout);
        }
        if (udpMaxSessions < 1) {
            throw new IllegalArgumentException("--udp-max-sessions: must be at least 1, got " + udpMaxSessions);
        }
        Objects.requireNonNull(nodePortAddresses, "nodePortAddresses");
        clusterCidrs = List.copyOf(clusterCidrs);
        try {
            checkClusterCidrs(clusterCidrs);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--cluster-cidr: " + e.getMessage());
        }
        if (detectLocalMode == DetectLocalMode.CLUSTER_CIDR && clusterCidrs.isEmpty()) {
            throw new IllegalArgumentException("--detect-local-mode: ClusterCIDR needs --cluster-cidr");
        }
        Objects.requireNonNull(detectLocalMode, "detectLocalMode");
        if (bindAddress != null && bindAddress.isAnyLocalAddress()) {
            bindAddress = null;
        }
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(kubeClient, "kubeClient");
        Objects.requireNonNull(operations, "operations");
        Objects.requireNonNull(logLevel, "logLevel");
        Objects.requireNonNull(logFormat, "logFormat");
        warnings = List.copyOf(warnings);
    }

    /** A builder holding the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** The process's open-files limit (the soft RLIMIT_NOFILE), or -1 where the JVM cannot tell. */
    public static long openFilesLimit() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix
                ? unix.getMaxFileDescriptorCount() : -1;
    }

    /** {@link #DEFAULT_UDP_MAX_SESSIONS} for an open-files limit of {@code openFiles} (-1: unknown). */
    static int defaultUdpMaxSessions(long openFiles) {
        return openFiles < 0 ? UDP_MAX_SESSIONS_UNKNOWN_LIMIT : (int) Math.max(1, Math.min(Integer.MAX_VALUE, openFiles / 2));
    }

    /**
     * Collects typed settings over the defaults; {@link #build} validates the whole. A setting set twice
     * keeps the last value, which is how flags override the file. Not thread-safe.
     */
    public static final class Builder {
        private Path manifests;
        private Path kubeconfig;
        private String master;
        private CaptureMode capture;
        private String nodeName;
        private int workers = Runtime.getRuntime().availableProcessors();
        private LbPolicy loadBalancing = LbPolicy.parse(DEFAULT_LB);
        private Duration connectTimeout = Durations.parse(DEFAULT_CONNECT_TIMEOUT);
        private Duration idleTimeout = Durations.parse(DEFAULT_IDLE_TIMEOUT);
        private Duration halfCloseTimeout = Durations.parse(DEFAULT_HALF_CLOSE_TIMEOUT);
        private Duration udpIdleTimeout = Durations.parse(DEFAULT_UDP_IDLE_TIMEOUT);
        private int udpMaxSessions = defaultUdpMaxSessions(openFilesLimit());
        private NodePortAddresses nodePortAddresses = NodePortAddresses.defaults();
        private List<Cidr> clusterCidrs = List.of();
        private DetectLocalMode detectLocalMode;
        private InetAddress bindAddress;
        private boolean keepRoutes;
        private Path handoverSocket;
        private TransportMode transport = TransportMode.parse(DEFAULT_TRANSPORT);
        private ContentType kubeApiContentType = ContentType.parse(DEFAULT_KUBE_API_CONTENT_TYPE);
        private double kubeApiQps = Double.parseDouble(DEFAULT_KUBE_API_QPS);
        private int kubeApiBurst = Integer.parseInt(DEFAULT_KUBE_API_BURST);
        private String healthzBindAddress = OperationsConfig.DEFAULT_HEALTHZ;
        private String metricsBindAddress = OperationsConfig.DEFAULT_METRICS;
        private Duration syncPeriod = Durations.parse(OperationsConfig.DEFAULT_SYNC_PERIOD);
        private Duration shutdownGracePeriod = Durations.parse(OperationsConfig.DEFAULT_SHUTDOWN_GRACE_PERIOD);
        private OperationsConfig.AfterHandover afterHandover = OperationsConfig.AfterHandover.EXIT;
        private Path readyFile;
        private int metricsMaxServices = OperationsConfig.DEFAULT_METRICS_MAX_SERVICES;
        private boolean metricsPerEndpoint;
        private LogLevel logLevel = LogLevel.parse(DEFAULT_LOG_LEVEL);
        private LogFormat logFormat = LogFormat.parse(DEFAULT_LOG_FORMAT);
        private final List<String> warnings = new ArrayList<>();

        private Builder() {
        }

        public Builder manifests(Path dir) {
            this.manifests = dir;
            return this;
        }

        public Builder kubeconfig(Path file) {
            this.kubeconfig = file;
            return this;
        }

        public Builder master(String url) {
            this.master = url;
            return this;
        }

        /** Default: route capture when running as root on Linux, else none. */
        public Builder capture(CaptureMode mode) {
            this.capture = mode;
            return this;
        }

        /** Default: the host name. */
        public Builder nodeName(String name) {
            this.nodeName = name;
            return this;
        }

        /** Default: the CPU count. */
        public Builder workers(int n) {
            this.workers = n;
            return this;
        }

        public Builder loadBalancing(LbPolicy policy) {
            this.loadBalancing = policy;
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        public Builder idleTimeout(Duration timeout) {
            this.idleTimeout = timeout;
            return this;
        }

        public Builder halfCloseTimeout(Duration timeout) {
            this.halfCloseTimeout = timeout;
            return this;
        }

        public Builder udpIdleTimeout(Duration timeout) {
            this.udpIdleTimeout = timeout;
            return this;
        }

        public Builder udpMaxSessions(int n) {
            this.udpMaxSessions = n;
            return this;
        }

        public Builder nodePortAddresses(NodePortAddresses addresses) {
            this.nodePortAddresses = addresses;
            return this;
        }

        /** kube-proxy's bindAddress; the unspecified address (0.0.0.0, ::) is the same as none. */
        public Builder bindAddress(InetAddress address) {
            this.bindAddress = address;
            return this;
        }

        /** A line to log once at start: a setting accepted that has no effect. */
        public Builder warning(String line) {
            warnings.add(line);
            return this;
        }

        public Builder clusterCidrs(List<Cidr> prefixes) {
            this.clusterCidrs = prefixes;
            return this;
        }

        /** Default: ClusterCIDR when cluster CIDRs are given (kube-proxy's default), else NodeCIDR. */
        public Builder detectLocalMode(DetectLocalMode mode) {
            this.detectLocalMode = mode;
            return this;
        }

        public Builder keepRoutes(boolean keep) {
            this.keepRoutes = keep;
            return this;
        }

        /**
         * The handover socket; null or empty: no handover. Unset by default, so a Junction made in code (the demo,
         * tests) hands nothing over; {@code run} sets {@link #DEFAULT_HANDOVER_SOCKET} first.
         */
        public Builder handoverSocket(Path socket) {
            this.handoverSocket = socket == null || socket.toString().isEmpty() ? null : socket;
            return this;
        }

        public Builder transport(TransportMode mode) {
            this.transport = mode;
            return this;
        }

        /**
         * {@code IP:port}, empty: not served. Kept as text until {@link #build}, so a setting that the last
         * word (the demo's) disables is never judged.
         */
        public Builder healthzBindAddress(String ipPort) {
            this.healthzBindAddress = ipPort;
            return this;
        }

        /** {@code IP:port}, empty: not served; kept as text until {@link #build}. */
        public Builder metricsBindAddress(String ipPort) {
            this.metricsBindAddress = ipPort;
            return this;
        }

        public Builder syncPeriod(Duration period) {
            this.syncPeriod = period;
            return this;
        }

        public Builder shutdownGracePeriod(Duration period) {
            this.shutdownGracePeriod = period;
            return this;
        }

        public Builder afterHandover(OperationsConfig.AfterHandover after) {
            this.afterHandover = after;
            return this;
        }

        /** Null or empty: no ready file. */
        public Builder readyFile(Path file) {
            this.readyFile = file == null || file.toString().isEmpty() ? null : file;
            return this;
        }

        public Builder metricsMaxServices(int n) {
            this.metricsMaxServices = n;
            return this;
        }

        public Builder metricsPerEndpoint(boolean perEndpoint) {
            this.metricsPerEndpoint = perEndpoint;
            return this;
        }

        public Builder kubeApiContentType(ContentType type) {
            this.kubeApiContentType = type;
            return this;
        }

        public Builder kubeApiQps(double qps) {
            this.kubeApiQps = qps;
            return this;
        }

        public Builder kubeApiBurst(int burst) {
            this.kubeApiBurst = burst;
            return this;
        }

        public Builder logLevel(LogLevel level) {
            this.logLevel = level;
            return this;
        }

        public Builder logFormat(LogFormat format) {
            this.logFormat = format;
            return this;
        }

        /** @throws IllegalArgumentException naming the first bad setting and the reason */
        public ProxyConfig build() {
            Source source = Source.of(manifests, kubeconfig, master);
            // kube-proxy's GetHostname: trimmed and lower-cased, as Node names are, whether given or the host's.
            String node = (nodeName != null ? nodeName : hostName()).strip().toLowerCase(Locale.ROOT);
            return new ProxyConfig(source, capture != null ? capture : defaultCapture(), node, workers, loadBalancing,
                    connectTimeout, idleTimeout, halfCloseTimeout, udpIdleTimeout, udpMaxSessions, nodePortAddresses, clusterCidrs,
                    detectLocalMode != null ? detectLocalMode
                            : clusterCidrs.isEmpty() ? DetectLocalMode.NODE_CIDR : DetectLocalMode.CLUSTER_CIDR,
                    bindAddress, keepRoutes, handoverSocket, transport,
                    new KubeClient(kubeApiContentType, kubeApiQps, kubeApiBurst),
                    new OperationsConfig(OperationsConfig.bindAddress("--healthz-bind-address", healthzBindAddress),
                            OperationsConfig.bindAddress("--metrics-bind-address", metricsBindAddress),
                            syncPeriod, shutdownGracePeriod, metricsMaxServices, metricsPerEndpoint, afterHandover,
                            readyFile),
                    logLevel, logFormat, warnings);
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return System.getenv().getOrDefault("HOSTNAME", "localhost");
        }
    }

    /** Route capture when it can work: root on Linux. Anything else gets the unprivileged mode. */
    private static CaptureMode defaultCapture() {
        return isLinuxRoot() ? CaptureMode.ROUTE : CaptureMode.NONE;
    }

    private static boolean isLinuxRoot() {
        if (!System.getProperty("os.name", "").startsWith("Linux")) {
            return false;
        }
        try {
            // "Uid:\treal\teffective\tsaved\tfs": the effective uid decides what we may do.
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    String[] ids = line.substring(4).trim().split("\\s+");
                    return ids.length > 1 && ids[1].equals("0");
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }
}
