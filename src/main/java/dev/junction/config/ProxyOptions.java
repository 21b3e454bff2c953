package dev.junction.config;

import dev.junction.model.Cidr;
import static dev.junction.config.CommonOptions.set;

import dev.junction.model.LbPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The flags of {@code run} (a picocli mixin; its types' converters come with {@link #withConverters}): the source,
 * capture, NodePorts and the {@code --config} file, with the {@link CommonOptions} the demo shares. A flag not
 * given on the command line stays null, so {@link #settings} can let the flags given win over the
 * {@code --config} file, and the file over the defaults. Filled by picocli, read once; not thread-safe.
 */
public final class ProxyOptions {

    @Mixin
    CommonOptions common;

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

    @Option(names = "--kube-api-content-type", paramLabel = "TYPE",
            description = "What the Kubernetes API source asks for: protobuf (as kube-proxy; JSON accepted too, and "
                    + "used when the server refuses protobuf) or json. Default: "
                    + ProxyConfig.DEFAULT_KUBE_API_CONTENT_TYPE + ".")
    ProxyConfig.ContentType kubeApiContentType;

    @Option(names = "--kube-api-qps", paramLabel = "QPS",
            description = "Lists (and relists) of the Kubernetes API the source starts per second once its burst is "
                    + "spent, as kube-proxy's --kube-api-qps; watches are not counted. Default: "
                    + ProxyConfig.DEFAULT_KUBE_API_QPS + ".")
    Double kubeApiQps;

    @Option(names = "--kube-api-burst", paramLabel = "N",
            description = "Lists of the Kubernetes API that may start at once (kube-proxy's --kube-api-burst). "
                    + "Default: " + ProxyConfig.DEFAULT_KUBE_API_BURST + ".")
    Integer kubeApiBurst;

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

    @Option(names = "--cluster-cidr", paramLabel = "CIDR", split = ",",
            description = "The cluster's pod prefixes, one per IP family (kube-proxy's --cluster-cidr). With "
                    + "--detect-local-mode ClusterCIDR, the default when given, calls from them to an "
                    + "externalTrafficPolicy Local Service count as this node's own and may use every endpoint.")
    List<Cidr> clusterCidrs;

    @Option(names = "--detect-local-mode", paramLabel = "MODE",
            description = "How this node's pods are told apart, as kube-proxy's: ClusterCIDR (by --cluster-cidr) "
                    + "or NodeCIDR (by the Node's spec.podCIDRs). Default: ClusterCIDR with --cluster-cidr, "
                    + "else NodeCIDR.")
    ProxyConfig.DetectLocalMode detectLocalMode;

    @Option(names = "--keep-routes",
            description = "Route capture: leave the local routes in place on shutdown, for a fast restart "
                    + "(the next start reconciles them; `junction cleanup` removes them).")
    Boolean keepRoutes;

    @Option(names = "--handover-socket", paramLabel = "PATH",
            description = "UNIX socket over which a running Junction hands its listening sockets to the next one "
                    + "on the node, so a restart refuses no connection; empty: no handover. Default: "
                    + ProxyConfig.DEFAULT_HANDOVER_SOCKET + ".")
    String handoverSocket;

    @Option(names = "--config", paramLabel = "FILE",
            description = "YAML file: a KubeProxyConfiguration as kubeadm writes it (Junction honours bindAddress, "
                    + "healthzBindAddress, metricsBindAddress, hostnameOverride, nodePortAddresses, clusterCIDR, "
                    + "detectLocalMode, clientConnection's kubeconfig, contentType, qps and burst, conntrack.udpTimeout, "
                    + "the mode's syncPeriod; "
                    + "warns once about the rest) with a "
                    + "junction: section for Junction's own settings. Flags given on the command line win.")
    Path configFile;

    @Option(names = "--shutdown-grace-period", paramLabel = "DURATION",
            description = "On SIGTERM: /healthz fails, listeners stop accepting, and open connections get this "
                    + "long to finish before they are closed. Default: " + OperationsConfig.DEFAULT_SHUTDOWN_GRACE_PERIOD + ".")
    Duration shutdownGracePeriod;

    @Option(names = "--after-handover", paramLabel = "MODE",
            description = "Once a successor took this process's sockets and it has drained: exit (exit 0) or wait "
                    + "(serve nothing until SIGTERM, then exit 0; in a pod, where the kubelet restarts a container "
                    + "that exits, and the restarted process would take the sockets back). Default: exit.")
    OperationsConfig.AfterHandover afterHandover;

    @Option(names = "--ready-file", paramLabel = "PATH",
            description = "A file present exactly while this process is ready (what /healthz answers for it, and "
                    + "it serves on its own sockets), for an exec readiness probe: an HTTP probe of port 10256 is "
                    + "answered by whichever Junction on the node holds that port. Default: none.")
    Path readyFile;

    /** The validated configuration: {@link #settings}, built. */
    public ProxyConfig config() {
        return settings().build();
    }

    /**
     * The defaults, overridden by the {@code --config} file's settings, overridden by the flags given on the
     * command line; unbuilt, so a caller can complete them before they are judged as a whole.
     *
     * @throws IllegalArgumentException naming the flag, or the file and the field, and the reason
     */
    public ProxyConfig.Builder settings() {
        ProxyConfig.Builder b = ProxyConfig.builder().handoverSocket(Path.of(ProxyConfig.DEFAULT_HANDOVER_SOCKET));
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
        set(kubeApiContentType, b::kubeApiContentType);
        set(kubeApiQps, b::kubeApiQps);
        set(kubeApiBurst, b::kubeApiBurst);
        set(capture, b::capture);
        if (nodePortAddresses != null) {
            try {
                b.nodePortAddresses(NodePortAddresses.parse(nodePortAddresses));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--nodeport-addresses: " + e.getMessage(), e);
            }
        }
        set(clusterCidrs, b::clusterCidrs);
        set(detectLocalMode, b::detectLocalMode);
        set(keepRoutes, b::keepRoutes);
        if (handoverSocket != null) {
            b.handoverSocket(Path.of(handoverSocket));
        }
        set(shutdownGracePeriod, b::shutdownGracePeriod);
        set(afterHandover, b::afterHandover);
        set(readyFile, b::readyFile);
        return common.applyTo(b);
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
                .registerConverter(ProxyConfig.TransportMode.class, parsing(ProxyConfig.TransportMode::parse))
                .registerConverter(OperationsConfig.AfterHandover.class, parsing(OperationsConfig.AfterHandover::parse))
                .registerConverter(ProxyConfig.DetectLocalMode.class, parsing(ProxyConfig.DetectLocalMode::parse))
                .registerConverter(ProxyConfig.ContentType.class, parsing(ProxyConfig.ContentType::parse))
                .registerConverter(Cidr.class, parsing(Cidr::parse));
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
