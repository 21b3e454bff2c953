package dev.junction;

import dev.junction.capture.RouteCapture;
import dev.junction.config.Durations;
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
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
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
        return run(options.config());
    }

    static int run(ProxyConfig config) throws InterruptedException {
        if (config.source() instanceof ProxyConfig.Manifests m && !Files.isDirectory(m.dir())) {
            throw new IllegalArgumentException("--manifests: " + m.dir() + " is not a directory");
        }
        try (Junction junction = new Junction(config).start()) {
            awaitShutdown();
        }
        return 0;
    }

    /** Blocks until SIGINT/SIGTERM; the hook lets the caller's try-with-resources close everything. */
    public static void awaitShutdown() throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        Thread main = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.countDown();
            try {
                main.join(10_000);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "junction-shutdown"));
        stop.await();
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Run the proxy (the default command).")
    static final class Run implements Callable<Integer> {
        @Mixin
        ProxyOptions options;

        @Override
        public Integer call() throws Exception {
            return run(options.config());
        }
    }

    @Command(name = "demo", mixinStandardHelpOptions = true,
            description = "Start three HTTP backends on loopback and proxy a Service to them.")
    static final class DemoCommand implements Callable<Integer> {
        @Mixin
        ProxyOptions options;

        @Override
        public Integer call() throws Exception {
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
                        + "needs root and epoll) or none (bind only addresses already local). "
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
                description = "Close a TCP connection idle this long in both directions; 0 disables. "
                        + "Default: ${DEFAULT-VALUE}.")
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

        /**
         * The validated configuration; {@code manifests} and the capture mode may be supplied by the caller
         * (the demo, which serves loopback only). Without manifests the source is the Kubernetes API.
         */
        public ProxyConfig config(Path manifestsOverride, ProxyConfig.CaptureMode captureOverride) {
            Path dir = manifestsOverride != null ? manifestsOverride : manifests;
            if (dir != null && (kubeconfig != null || master != null)) {
                throw new IllegalArgumentException("--manifests and " + (kubeconfig != null ? "--kubeconfig" : "--master")
                        + " are alternative sources: give one");
            }
            ProxyConfig.Source source = dir != null
                    ? new ProxyConfig.Manifests(dir) : new ProxyConfig.KubeApi(kubeconfig, master);
            int n = workers != null ? workers : Runtime.getRuntime().availableProcessors();
            ProxyConfig.CaptureMode mode = captureOverride != null ? captureOverride
                    : capture != null ? capture : defaultCapture();
            return new ProxyConfig(source, mode, nodeName(), n, lb.label(), connectTimeout, idleTimeout,
                    udpIdleTimeout, udpMaxSessions, nodePortAddresses == null ? List.of() : nodePortAddresses,
                    keepRoutes);
        }

        ProxyConfig config() {
            return config(null, null);
        }

        private String nodeName() {
            if (hostnameOverride != null) {
                return hostnameOverride;
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

    static final class CaptureConverter implements CommandLine.ITypeConverter<ProxyConfig.CaptureMode> {
        @Override
        public ProxyConfig.CaptureMode convert(String value) {
            for (ProxyConfig.CaptureMode mode : ProxyConfig.CaptureMode.values()) {
                if (mode.label().equals(value)) {
                    return mode;
                }
            }
            throw new CommandLine.TypeConversionException(
                    "unknown capture mode \"" + value + "\" (expected: route or none)");
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
