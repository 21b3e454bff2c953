package dev.junction.config;

import dev.junction.model.LbPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The flags every command shares (a picocli mixin; its types' converters come with {@link #withConverters}).
 * A flag not given on the command line stays null, so {@link #settings} can let the flags given win over the
 * {@code --config} file, and the file over the defaults. Filled by picocli, read once; not thread-safe.
 */
public final class ProxyOptions {

    @Option(names = "--manifests", paramLabel = "DIR",
            description = "Directory of Kubernetes manifests (Service, EndpointSlice, Node) to serve; "
                    + "reloaded when it changes.")
    Path manifests;

    @Option(names = "--kubeconfig", paramLabel = "FILE",
            description = "Kubeconfig for the Kubernetes API source. Without it and without --manifests, the "
                    + "configuration is discovered like kubectl: KUBECONFIG, ~/.kube/config, in-cluster.")
    Path kubeconfig;

    @Option(names = "--master", paramLabel = "URL",
            description = "Kubernetes API server URL; overrides the kubeconfig's server (use the API server's "
                    + "own address, never the kubernetes Service ClusterIP).")
    String master;

    @Option(names = "--capture", paramLabel = "MODE",
            description = "How Service traffic reaches Junction: route (a local route per virtual IP, "
                    + "needs root and io_uring or epoll) or none (bind only addresses already local). "
                    + "Default: route when running as root on Linux, else none.")
    ProxyConfig.CaptureMode capture;

    @Option(names = "--nodeport-addresses", paramLabel = "CIDR", split = ",",
            description = "NodePorts listen on this node's addresses inside these prefixes, or with `primary` on "
                    + "the node's primary IPs (default with route capture: every non-loopback address; with none: "
                    + "no NodePorts).")
    List<String> nodePortAddresses;

    @Option(names = "--keep-routes",
            description = "Route capture: leave the local routes in place on shutdown, for a fast restart "
                    + "(the next start reconciles them; `junction cleanup` removes them).")
    Boolean keepRoutes;

    @Option(names = "--hostname-override", paramLabel = "NAME",
            description = "This node's name, for Local traffic policies and topology (default: the host name).")
    String hostnameOverride;

    @Option(names = "--workers", paramLabel = "N",
            description = "Event loops (default: the CPU count).")
    Integer workers;

    @Option(names = "--transport", paramLabel = "KIND",
            description = "Event loops' I/O: auto (the first of io_uring, epoll and nio that works here), "
                    + "io_uring, epoll or nio. Default: " + ProxyConfig.DEFAULT_TRANSPORT + ".")
    ProxyConfig.TransportMode transport;

    @Option(names = "--lb", paramLabel = "POLICY",
            description = "Default load balancing for Services without the junction.dev/lb annotation: "
                    + "round-robin or least-connections. Default: " + ProxyConfig.DEFAULT_LB + ".")
    LbPolicy lb;

    @Option(names = "--connect-timeout", paramLabel = "DURATION",
            description = "Timeout of each connect attempt to an endpoint. Default: "
                    + ProxyConfig.DEFAULT_CONNECT_TIMEOUT + ".")
    Duration connectTimeout;

    @Option(names = "--idle-timeout", paramLabel = "DURATION",
            description = "Close a TCP connection idle this long in both directions (checked every "
                    + "eighth of it, so within 1/8 more); 0 disables. Default: " + ProxyConfig.DEFAULT_IDLE_TIMEOUT + ".")
    Duration idleTimeout;

    @Option(names = "--udp-idle-timeout", paramLabel = "DURATION",
            description = "Close a UDP session idle this long in both directions (kube-proxy's conntrack "
                    + "UDP timeout). Default: " + ProxyConfig.DEFAULT_UDP_IDLE_TIMEOUT + ".")
    Duration udpIdleTimeout;

    @Option(names = "--udp-max-sessions", paramLabel = "N",
            description = "UDP sessions (client address:port) per frontend; beyond it the least recently "
                    + "active one is evicted. Default: " + ProxyConfig.DEFAULT_UDP_MAX_SESSIONS + ".")
    Integer udpMaxSessions;

    @Option(names = "--config", paramLabel = "FILE",
            description = "YAML file: a KubeProxyConfiguration as kubeadm writes it (Junction honours bindAddress, "
                    + "healthzBindAddress, metricsBindAddress, hostnameOverride, nodePortAddresses, "
                    + "clientConnection.kubeconfig, conntrack.udpTimeout; warns once about the rest) with a "
                    + "junction: section for Junction's own settings. Flags given on the command line win.")
    Path configFile;

    @Option(names = "--healthz-bind-address", paramLabel = "IP:PORT",
            description = "Serve /healthz and /livez here (kube-proxy's semantics); empty disables. "
                    + "Default: " + OperationsConfig.DEFAULT_HEALTHZ + ".")
    String healthzBindAddress;

    @Option(names = "--metrics-bind-address", paramLabel = "IP:PORT",
            description = "Serve /metrics (Prometheus text or OpenMetrics) and /debug/routes here; empty disables. "
                    + "Default: " + OperationsConfig.DEFAULT_METRICS + ".")
    String metricsBindAddress;

    @Option(names = "--sync-period", paramLabel = "DURATION",
            description = "/healthz and /livez fail when a queued update stays unapplied for twice this. "
                    + "Default: " + OperationsConfig.DEFAULT_SYNC_PERIOD + ".")
    Duration syncPeriod;

    @Option(names = "--shutdown-grace-period", paramLabel = "DURATION",
            description = "On SIGTERM: /healthz fails, listeners stop accepting, and open connections get this "
                    + "long to finish before they are closed. Default: " + OperationsConfig.DEFAULT_SHUTDOWN_GRACE_PERIOD + ".")
    Duration shutdownGracePeriod;

    @Option(names = "--metrics-max-services", paramLabel = "N",
            description = "Service ports with metric series of their own; the rest are summed under "
                    + "service=\"other\". Default: " + OperationsConfig.DEFAULT_METRICS_MAX_SERVICES + ".")
    Integer metricsMaxServices;

    @Option(names = "--metrics-per-endpoint",
            description = "Also export per-endpoint series (connections, active, ejected).")
    Boolean metricsPerEndpoint;

    @Option(names = "--log-level", paramLabel = "LEVEL",
            description = "error, warn, info or debug. Default: " + ProxyConfig.DEFAULT_LOG_LEVEL + ".")
    LogLevel logLevel;

    @Option(names = "--log-format", paramLabel = "FORMAT",
            description = "text, or json (one JSON object per line, for log shippers). Default: "
                    + ProxyConfig.DEFAULT_LOG_FORMAT + ".")
    LogFormat logFormat;

    /** The validated configuration: {@link #settings}, built. */
    public ProxyConfig config() {
        return settings().build();
    }

    /**
     * The defaults, overridden by the {@code --config} file's settings, overridden by the flags given on the
     * command line; unbuilt, so a caller (the demo) can complete them before they are judged as a whole.
     *
     * @throws IllegalArgumentException naming the flag, or the file and the field, and the reason
     */
    public ProxyConfig.Builder settings() {
        ProxyConfig.Builder b = ProxyConfig.builder();
        if (configFile != null) {
            ConfigFile.load(configFile).applyTo(b);
        }
        // A source given on the command line replaces the file's (a kubeadm file names a kubeconfig).
        if (manifests != null) {
            b.kubeconfig(null).master(null);
        } else if (kubeconfig != null || master != null) {
            b.manifests(null);
        }
        set(manifests, b::manifests);
        set(kubeconfig, b::kubeconfig);
        set(master, b::master);
        set(capture, b::capture);
        if (nodePortAddresses != null) {
            try {
                b.nodePortAddresses(NodePortAddresses.parse(nodePortAddresses));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--nodeport-addresses: " + e.getMessage(), e);
            }
        }
        set(keepRoutes, b::keepRoutes);
        set(hostnameOverride, b::nodeName);
        set(workers, b::workers);
        set(transport, b::transport);
        set(lb, b::loadBalancing);
        set(connectTimeout, b::connectTimeout);
        set(idleTimeout, b::idleTimeout);
        set(udpIdleTimeout, b::udpIdleTimeout);
        set(udpMaxSessions, b::udpMaxSessions);
        set(healthzBindAddress, b::healthzBindAddress);
        set(metricsBindAddress, b::metricsBindAddress);
        set(syncPeriod, b::syncPeriod);
        set(shutdownGracePeriod, b::shutdownGracePeriod);
        set(metricsMaxServices, b::metricsMaxServices);
        set(metricsPerEndpoint, b::metricsPerEndpoint);
        set(logLevel, b::logLevel);
        set(logFormat, b::logFormat);
        return b;
    }

    /** A flag given on the command line (non-null) overrides whatever the builder holds. */
    private static <T> void set(T flag, Consumer<T> setter) {
        if (flag != null) {
            setter.accept(flag);
        }
    }

    /**
     * Registers the converters of the flags' types on {@code cli} and the subcommands it has: a bad value is
     * a usage error naming the flag and the parser's reason.
     */
    public static CommandLine withConverters(CommandLine cli) {
        return cli.registerConverter(Duration.class, parsing(Durations::parse))
                .registerConverter(LbPolicy.class, parsing(LbPolicy::parse))
                .registerConverter(LogLevel.class, parsing(LogLevel::parse))
                .registerConverter(LogFormat.class, parsing(LogFormat::parse))
                .registerConverter(ProxyConfig.CaptureMode.class, parsing(ProxyConfig.CaptureMode::parse))
                .registerConverter(ProxyConfig.TransportMode.class, parsing(ProxyConfig.TransportMode::parse));
    }

    private static <T> CommandLine.ITypeConverter<T> parsing(Function<String, T> parse) {
        return text -> {
            try {
                return parse.apply(text);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        };
    }
}
