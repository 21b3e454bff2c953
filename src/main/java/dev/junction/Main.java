package dev.junction;

import dev.junction.capture.RouteCapture;
import dev.junction.config.Durations;
import dev.junction.config.OperationsConfig;
import dev.junction.config.ProxyConfig;
import dev.junction.demo.Demo;
import dev.junction.model.Cidr;
import dev.junction.model.LbPolicy;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The {@code junction} command line: {@code run} (the default), {@code demo} and {@code cleanup}. */
@Command(name = "junction", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A userspace service proxy for Kubernetes.",
        subcommands = {Main.Run.class, Main.DemoCommand.class, Main.Cleanup.class})
public final class Main implements Callable<Integer> {

    /** Exit code for a bad flag or value, as picocli and most CLIs use. */
    static final int USAGE = 2;

    @Mixin
    ProxyOptions options;

    public static void main(String[] args) {
        Logging.install();
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler(Main::usageError);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof IllegalArgumentException) {
                cmd.getErr().println("junction: " + e.getMessage());
                return USAGE;
            }
            throw e;
        });
        return cli.execute(args);
    }

    /** One clear line and exit code 2, instead of picocli's usage dump. */
    private static int usageError(CommandLine.ParameterException e, String[] args) {
        PrintWriter err = e.getCommandLine().getErr();
        err.println("junction: " + e.getMessage() + " (see --help)");
        return USAGE;
    }

    @Override
    public Integer call() throws Exception {
        options.configureLogging();
        return run(options.config(), options.operations());
    }

    static int run(ProxyConfig config) throws Exception {
        return run(config, OperationsConfig.NONE);
    }

    /**
     * Runs until SIGTERM/SIGINT, then shuts down gracefully: /healthz fails, listeners stop accepting, open
     * connections get up to the grace period, then everything closes and the process exits 0.
     */
    static int run(ProxyConfig config, OperationsConfig operations) throws Exception {
        if (config.source() instanceof ProxyConfig.Manifests m && !Files.isDirectory(m.dir())) {
            throw new IllegalArgumentException("--manifests: " + m.dir() + " is not a directory");
        }
        return new Junction(config, operations).start().serveUntilSignal();
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Run the proxy (the default command).")
    static final class Run implements Callable<Integer> {
        @Mixin
        ProxyOptions options;

        @Override
        public Integer call() throws Exception {
            options.configureLogging();
            return run(options.config(), options.operations());
        }
    }

    @Command(name = "demo", mixinStandardHelpOptions = true,
            description = "Start three HTTP backends on loopback and proxy a Service to them.")
    static final class DemoCommand implements Callable<Integer> {
        @Mixin
        ProxyOptions options;

        @Override
        public Integer call() throws Exception {
            options.configureLogging();
            return Demo.run(options);
        }
    }

    @Command(name = "cleanup", mixinStandardHelpOptions = true,
            description = "Remove every local route Junction installed (route protocol 74, IPv4 and IPv6), "
                    + "e.g. after a run with --keep-routes or a crash.")
    static final class Cleanup implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            try {
                int removed = RouteCapture.cleanup();
                spec.commandLine().getOut().println("junction cleanup: removed " + removed + " local routes");
                return 0;
            } catch (RuntimeException e) {
                spec.commandLine().getErr().println("junction cleanup: " + e.getMessage());
                return 1;
            }
        }
    }

    /** The flags every command shares. */
    public static final class ProxyOptions {

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

        @Option(names = "--capture", paramLabel = "MODE", converter = CaptureConverter.class,
                description = "How Service traffic reaches Junction: route (a local route per virtual IP, "
                        + "needs root and io_uring or epoll) or none (bind only addresses already local). "
                        + "Default: route when running as root on Linux, else none.")
        ProxyConfig.CaptureMode capture;

        @Option(names = "--nodeport-addresses", paramLabel = "CIDR", split = ",", converter = CidrConverter.class,
                description = "NodePorts listen on this node's addresses inside these prefixes "
                        + "(default with route capture: every non-loopback address; with none: no NodePorts).")
        List<String> nodePortAddresses;

        @Option(names = "--keep-routes",
                description = "Route capture: leave the local routes in place on shutdown, for a fast restart "
                        + "(the next start reconciles them; `junction cleanup` removes them).")
        boolean keepRoutes;

        @Option(names = "--hostname-override", paramLabel = "NAME",
                description = "This node's name, for Local traffic policies and topology (default: the host name).")
        String hostnameOverride;

        @Option(names = "--workers", paramLabel = "N",
                description = "Event loops (default: the CPU count).")
        Integer workers;

        @Option(names = "--transport", paramLabel = "KIND", defaultValue = "auto", converter = TransportConverter.class,
                description = "Event loops' I/O: auto (the first of io_uring, epoll and nio that works here), "
                        + "io_uring, epoll or nio. Default: ${DEFAULT-VALUE}.")
        ProxyConfig.TransportMode transport;

        @Option(names = "--lb", paramLabel = "POLICY", defaultValue = "round-robin",
                converter = PolicyConverter.class,
                description = "Default load balancing for Services without the junction.dev/lb annotation: "
                        + "round-robin or least-connections. Default: ${DEFAULT-VALUE}.")
        LbPolicy lb;

        @Option(names = "--connect-timeout", paramLabel = "DURATION", defaultValue = "1s",
                converter = DurationConverter.class,
                description = "Timeout of each connect attempt to an endpoint. Default: ${DEFAULT-VALUE}.")
        Duration connectTimeout;

        @Option(names = "--idle-timeout", paramLabel = "DURATION", defaultValue = "1h",
                converter = DurationConverter.class,
                description = "Close a TCP connection idle this long in both directions (checked every "
                        + "eighth of it, so within 1/8 more); 0 disables. Default: ${DEFAULT-VALUE}.")
        Duration idleTimeout;

        @Option(names = "--udp-idle-timeout", paramLabel = "DURATION", defaultValue = "30s",
                converter = DurationConverter.class,
                description = "Close a UDP session idle this long in both directions (kube-proxy's conntrack "
                        + "UDP timeout). Default: ${DEFAULT-VALUE}.")
        Duration udpIdleTimeout;

        @Option(names = "--udp-max-sessions", paramLabel = "N", defaultValue = "65536",
                description = "UDP sessions (client address:port) per frontend; beyond it the least recently "
                        + "active one is evicted. Default: ${DEFAULT-VALUE}.")
        int udpMaxSessions;

        @Option(names = "--config", paramLabel = "FILE",
                description = "YAML file: a KubeProxyConfiguration (bindAddress, healthzBindAddress, "
                        + "metricsBindAddress, hostnameOverride, nodePortAddresses, conntrack.udpTimeout) with a "
                        + "junction: section for Junction's own settings. Flags given on the command line win.")
        Path configFile;

        @Option(names = "--healthz-bind-address", paramLabel = "IP:PORT", defaultValue = OperationsConfig.DEFAULT_HEALTHZ,
                description = "Serve /healthz and /livez here (kube-proxy's semantics); empty disables. "
                        + "Default: ${DEFAULT-VALUE}.")
        String healthzBindAddress;

        @Option(names = "--metrics-bind-address", paramLabel = "IP:PORT", defaultValue = OperationsConfig.DEFAULT_METRICS,
                description = "Serve /metrics (Prometheus text or OpenMetrics) and /debug/routes here; empty disables. "
                        + "Default: ${DEFAULT-VALUE}.")
        String metricsBindAddress;

        @Option(names = "--sync-period", paramLabel = "DURATION", defaultValue = "30s",
                converter = DurationConverter.class,
                description = "/healthz and /livez fail when a queued update stays unapplied for twice this. "
                        + "Default: ${DEFAULT-VALUE}.")
        Duration syncPeriod;

        @Option(names = "--shutdown-grace-period", paramLabel = "DURATION", defaultValue = "30s",
                converter = DurationConverter.class,
                description = "On SIGTERM: /healthz fails, listeners stop accepting, and open connections get this "
                        + "long to finish before they are closed. Default: ${DEFAULT-VALUE}.")
        Duration shutdownGracePeriod;

        @Option(names = "--metrics-max-services", paramLabel = "N", defaultValue = "1000",
                description = "Service ports with metric series of their own; the rest are summed under "
                        + "service=\"other\". Default: ${DEFAULT-VALUE}.")
        int metricsMaxServices;

        @Option(names = "--metrics-per-endpoint",
                description = "Also export per-endpoint series (connections, active, ejected).")
        boolean metricsPerEndpoint;

        @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "info", converter = LogLevelConverter.class,
                description = "error, warn, info or debug. Default: ${DEFAULT-VALUE}.")
        Logging.LogLevel logLevel;

        @Option(names = "--log-format", paramLabel = "FORMAT", defaultValue = "text", converter = LogFormatConverter.class,
                description = "text, or json (one JSON object per line, for log shippers). Default: ${DEFAULT-VALUE}.")
        Logging.LogFormat logFormat;

        @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
        CommandLine.Model.CommandSpec mixee;

        private ConfigFile file;

        /**
         * The validated configuration; {@code manifests} and the capture mode may be supplied by the caller
         * (the demo, which serves loopback only). Without manifests the source is the Kubernetes API.
         */
        public ProxyConfig config(Path manifestsOverride, ProxyConfig.CaptureMode captureOverride) {
            Path dir = manifestsOverride != null ? manifestsOverride : pick("--manifests", manifests);
            Path kube = pick("--kubeconfig", kubeconfig);
            String server = pick("--master", master);
            if (dir != null && (kube != null || server != null)) {
                throw new IllegalArgumentException("--manifests and " + (kube != null ? "--kubeconfig" : "--master")
                        + " are alternative sources: give one");
            }
            ProxyConfig.Source source = dir != null
                    ? new ProxyConfig.Manifests(dir) : new ProxyConfig.KubeApi(kube, server);
            Integer w = pick("--workers", workers);
            int n = w != null ? w : Runtime.getRuntime().availableProcessors();
            ProxyConfig.CaptureMode fromFlags = pick("--capture", capture);
            ProxyConfig.CaptureMode mode = captureOverride != null ? captureOverride
                    : fromFlags != null ? fromFlags : defaultCapture();
            List<String> cidrs = pick("--nodeport-addresses", nodePortAddresses);
            LbPolicy policy = pick("--lb", lb);
            return new ProxyConfig(source, mode, nodeName(), n, policy.label(), pick("--connect-timeout", connectTimeout),
                    pick("--idle-timeout", idleTimeout), pick("--udp-idle-timeout", udpIdleTimeout),
                    pick("--udp-max-sessions", udpMaxSessions), cidrs == null ? List.of() : cidrs,
                    pick("--keep-routes", keepRoutes), pick("--transport", transport));
        }

        /** The health, metrics and shutdown settings, flags over the file. */
        public OperationsConfig operations() {
            return new OperationsConfig(
                    OperationsConfig.bindAddress("--healthz-bind-address", pick("--healthz-bind-address", healthzBindAddress)),
                    OperationsConfig.bindAddress("--metrics-bind-address", pick("--metrics-bind-address", metricsBindAddress)),
                    pick("--sync-period", syncPeriod), pick("--shutdown-grace-period", shutdownGracePeriod),
                    pick("--metrics-max-services", metricsMaxServices), pick("--metrics-per-endpoint", metricsPerEndpoint));
        }

        void configureLogging() {
            Logging.configure(pick("--log-level", logLevel), pick("--log-format", logFormat));
        }

        /** The flag's value when given on the command line, else the file's, else the flag's default. */
        @SuppressWarnings("unchecked")
        private <T> T pick(String flag, T flagValue) {
            if (configFile == null || given(flag)) {
                return flagValue;
            }
            if (file == null) {
                file = ConfigFile.load(configFile);
            }
            Object fromFile = file.get(flag);
            return fromFile != null ? (T) fromFile : flagValue;
        }

        private boolean given(String flag) {
            return mixee != null && mixee.commandLine().getParseResult() != null
                    && mixee.commandLine().getParseResult().hasMatchedOption(flag);
        }

        ProxyConfig config() {
            return config(null, null);
        }

        private String nodeName() {
            String name = pick("--hostname-override", hostnameOverride);
            if (name != null) {
                return name;
            }
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                return System.getenv().getOrDefault("HOSTNAME", "localhost");
            }
        }
    }

    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                return Durations.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    static final class LogLevelConverter implements CommandLine.ITypeConverter<Logging.LogLevel> {
        @Override
        public Logging.LogLevel convert(String value) {
            try {
                return Logging.LogLevel.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    static final class LogFormatConverter implements CommandLine.ITypeConverter<Logging.LogFormat> {
        @Override
        public Logging.LogFormat convert(String value) {
            try {
                return Logging.LogFormat.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    static final class PolicyConverter implements CommandLine.ITypeConverter<LbPolicy> {
        @Override
        public LbPolicy convert(String value) {
            try {
                return LbPolicy.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** A flag value naming one constant of an enum by its label; anything else lists the labels. */
    abstract static class LabelConverter<E extends Enum<E>> implements CommandLine.ITypeConverter<E> {
        private final String what;
        private final E[] values;
        private final Function<E, String> label;

        LabelConverter(String what, E[] values, Function<E, String> label) {
            this.what = what;
            this.values = values;
            this.label = label;
        }

        @Override
        public E convert(String value) {
            List<String> labels = new ArrayList<>();
            for (E e : values) {
                if (label.apply(e).equals(value)) {
                    return e;
                }
                labels.add(label.apply(e));
            }
            String expected = String.join(", ", labels.subList(0, labels.size() - 1)) + " or " + labels.get(labels.size() - 1);
            throw new CommandLine.TypeConversionException(
                    "unknown " + what + " \"" + value + "\" (expected: " + expected + ")");
        }
    }

    static final class CaptureConverter extends LabelConverter<ProxyConfig.CaptureMode> {
        CaptureConverter() {
            super("capture mode", new ProxyConfig.CaptureMode[] {ProxyConfig.CaptureMode.ROUTE, ProxyConfig.CaptureMode.NONE},
                    ProxyConfig.CaptureMode::label);
        }
    }

    static final class TransportConverter extends LabelConverter<ProxyConfig.TransportMode> {
        TransportConverter() {
            super("transport", ProxyConfig.TransportMode.values(), ProxyConfig.TransportMode::label);
        }
    }

    /** Validates a prefix here, so a bad one is a usage error; the configuration keeps the text. */
    static final class CidrConverter implements CommandLine.ITypeConverter<String> {
        @Override
        public String convert(String value) {
            try {
                return Cidr.parse(value).toString();
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** Route capture when it can work: root on Linux. Anything else gets the unprivileged mode. */
    static ProxyConfig.CaptureMode defaultCapture() {
        return isLinuxRoot() ? ProxyConfig.CaptureMode.ROUTE : ProxyConfig.CaptureMode.NONE;
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

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"junction " + (v != null ? v : "dev")};
        }
    }
}
