package dev.junction.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.sun.management.UnixOperatingSystemMXBean;
import dev.junction.model.Cidr;
import dev.junction.model.LbPolicy;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The flags merged with the file and the defaults: a flag given wins over the file, the file over the default. */
class ProxyOptionsTest {

    private static final Path SAMPLE = Path.of("deploy/config.sample.yaml");

    @TempDir
    Path dir;

    @Test
    void flagsGivenOnTheCommandLineOverrideTheFile() throws IOException {
        Path manifests = Files.createDirectory(dir.resolve("manifests"));
        ProxyConfig config = parse("--config", SAMPLE.toString(), "--manifests", manifests.toString(),
                "--lb", "round-robin", "--workers", "2", "--metrics-bind-address", "127.0.0.1:0",
                "--capture", "none", "--transport", "nio").config();
        assertEquals(LbPolicy.ROUND_ROBIN, config.loadBalancing(), "flag wins");
        assertEquals(2, config.workers(), "flag wins");
        assertEquals(ProxyConfig.CaptureMode.NONE, config.capture(), "flag wins");
        assertEquals(ProxyConfig.TransportMode.NIO, config.transport(), "flag wins");
        assertEquals("node-1", config.nodeName(), "from the file");
        assertEquals(Duration.ofMillis(500), config.connectTimeout(), "from the file");
        assertEquals(List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("fd00::/8")), config.nodePortAddresses().prefixes(), "from the file");
        assertEquals(LogFormat.JSON, config.logFormat(), "from the file");
        OperationsConfig ops = config.operations();
        assertEquals(new InetSocketAddress("127.0.0.1", 0), ops.metricsBindAddress(), "flag wins");
        assertEquals(new InetSocketAddress("0.0.0.0", 10256), ops.healthzBindAddress(), "from the file");
        assertEquals(Duration.ofSeconds(45), ops.shutdownGracePeriod(), "from the file");
        assertEquals(2000, ops.metricsMaxServices(), "from the file");
        assertFalse(ops.metricsPerEndpoint());
    }

    @Test
    void withoutAFileTheDefaultsAreKubeProxys() throws IOException {
        Path manifests = Files.createDirectory(dir.resolve("manifests"));
        ProxyConfig config = parse("--manifests", manifests.toString()).config();
        OperationsConfig ops = config.operations();
        assertEquals(new InetSocketAddress("0.0.0.0", 10256), ops.healthzBindAddress());
        assertEquals(new InetSocketAddress("127.0.0.1", 10249), ops.metricsBindAddress());
        assertEquals(Duration.ofSeconds(60), ops.healthLimit());
        assertEquals(Duration.ofSeconds(30), config.udpIdleTimeout());
        assertNull(parse("--manifests", manifests.toString(), "--metrics-bind-address", "")
                .config().operations().metricsBindAddress(), "empty disables");
    }

    /**
     * Issue 14 item 1: the default cap (65,536) was above what the descriptor limit allows (20,000 here), so
     * a UDP flood took the process to EMFILE before the cap. It is half the soft RLIMIT_NOFILE; a flag wins.
     */
    @Test
    void udpMaxSessionsDefaultsToHalfTheOpenFilesLimitUnlessGiven() {
        long limit = ((UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getMaxFileDescriptorCount();
        assertEquals(limit / 2, parse().config().udpMaxSessions());
        assertEquals(10_000, ProxyConfig.defaultUdpMaxSessions(20_000));
        assertEquals(1, ProxyConfig.defaultUdpMaxSessions(1), "never below one session");
        assertEquals(65_536, ProxyConfig.defaultUdpMaxSessions(-1), "the limit unknown");
        assertEquals(123_456, parse("--udp-max-sessions", "123456").config().udpMaxSessions());
    }

    @Test
    void withoutFlagsTheDefaultsAreTheOnesTheHelpShows() {
        ProxyConfig config = parse().config();
        assertEquals(new ProxyConfig.KubeApi(null, null), config.source());
        assertEquals(LbPolicy.ROUND_ROBIN, config.loadBalancing());
        assertEquals(ProxyConfig.TransportMode.AUTO, config.transport());
        assertEquals(Duration.ofSeconds(1), config.connectTimeout());
        assertEquals(Duration.ofHours(1), config.idleTimeout());
        assertEquals(Duration.ofMinutes(5), config.halfCloseTimeout());
        assertEquals(ProxyConfig.defaultUdpMaxSessions(ProxyConfig.openFilesLimit()), config.udpMaxSessions());
        assertEquals(NodePortAddresses.defaults(), config.nodePortAddresses());
        assertFalse(config.keepRoutes());
        assertEquals(Path.of(ProxyConfig.DEFAULT_HANDOVER_SOCKET), config.handoverSocket());
        assertEquals(Runtime.getRuntime().availableProcessors(), config.workers());
        assertEquals(Duration.ofSeconds(30), config.operations().shutdownGracePeriod());
        assertEquals(OperationsConfig.AfterHandover.EXIT, config.operations().afterHandover());
        assertNull(config.operations().readyFile());
        assertEquals(1000, config.operations().metricsMaxServices());
        assertEquals(LogLevel.INFO, config.logLevel());
        assertEquals(LogFormat.TEXT, config.logFormat());
        assertEquals(new ProxyConfig.KubeClient(ProxyConfig.ContentType.PROTOBUF, 5, 10), config.kubeClient(),
                "kube-proxy's content type, qps and burst");
    }

    /** Issue 18: kube-proxy's --kube-api-content-type, --kube-api-qps and --kube-api-burst. */
    @Test
    void kubeApiFlagsSetContentTypeQpsAndBurst() {
        assertEquals(new ProxyConfig.KubeClient(ProxyConfig.ContentType.JSON, 0.5, 3), parse("--kube-api-content-type",
                "json", "--kube-api-qps", "0.5", "--kube-api-burst", "3").config().kubeClient());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> parse("--kube-api-qps", "0").config());
        assertEquals("--kube-api-qps: must be positive, got 0.0", e.getMessage());
    }

    @Test
    void aGivenFlagOverridesTheFileEvenWhenItSaysWhatTheDefaultSays() throws IOException {
        Path file = Files.writeString(dir.resolve("c.yaml"), "junction: {lb: least-connections, keepRoutes: true}\n");
        ProxyConfig config = parse("--config", file.toString(), "--lb", "round-robin").config();
        assertEquals(LbPolicy.ROUND_ROBIN, config.loadBalancing(), "flag wins");
        assertEquals(true, config.keepRoutes(), "from the file");
    }

    @Test
    void handoverSocketComesFromTheFileOrTheFlagAndEmptyDisablesIt() throws IOException {
        Path file = Files.writeString(dir.resolve("h.yaml"), "junction: {handoverSocket: /tmp/from-file.sock}\n");
        assertEquals(Path.of("/tmp/from-file.sock"), parse("--config", file.toString()).config().handoverSocket());
        assertEquals(Path.of("/tmp/flag.sock"),
                parse("--config", file.toString(), "--handover-socket", "/tmp/flag.sock").config().handoverSocket());
        assertNull(parse("--config", file.toString(), "--handover-socket", "").config().handoverSocket());
        Path off = Files.writeString(dir.resolve("off.yaml"), "junction: {handoverSocket: ''}\n");
        assertNull(parse("--config", off.toString()).config().handoverSocket());
        assertNull(ProxyConfig.builder().build().handoverSocket(), "a Junction made in code hands nothing over");
    }

    @Test
    void halfCloseTimeoutFlagSetsItAndZeroLeavesOnlyTheIdleTimeout() {
        assertEquals(Duration.ofSeconds(20), parse("--half-close-timeout", "20s").config().halfCloseTimeout());
        assertEquals(Duration.ZERO, parse("--half-close-timeout", "0").config().halfCloseTimeout());
    }

    @Test
    void localPodsAreTheNodesPodCidrsUnlessAClusterCidrIsGiven() {
        assertEquals(ProxyConfig.DetectLocalMode.NODE_CIDR, parse().config().detectLocalMode());
        ProxyConfig config = parse("--cluster-cidr", "10.244.0.0/16,fd00:10:244::/56").config();
        assertEquals(List.of(Cidr.parse("10.244.0.0/16"), Cidr.parse("fd00:10:244::/56")), config.clusterCidrs());
        assertEquals(ProxyConfig.DetectLocalMode.CLUSTER_CIDR, config.detectLocalMode(), "kube-proxy's default");
        assertEquals(ProxyConfig.DetectLocalMode.NODE_CIDR,
                parse("--cluster-cidr", "10.244.0.0/16", "--detect-local-mode", "NodeCIDR").config().detectLocalMode());
    }

    @Test
    void aSourceFlagReplacesTheKubeconfigOfAKubeadmFile() throws IOException {
        Path file = Files.writeString(dir.resolve("kubeadm.yaml"),
                "clientConnection: {kubeconfig: /var/lib/kube-proxy/kubeconfig.conf}\n");
        Path manifests = Files.createDirectory(dir.resolve("manifests"));
        assertEquals(new ProxyConfig.Manifests(manifests),
                parse("--config", file.toString(), "--manifests", manifests.toString()).config().source());
        assertEquals(new ProxyConfig.KubeApi(Path.of("/var/lib/kube-proxy/kubeconfig.conf"), "https://10.0.0.1:6443"),
                parse("--config", file.toString(), "--master", "https://10.0.0.1:6443").config().source(),
                "--master overrides the kubeconfig's server, as in kube-proxy");
    }

    @Test
    void nodePortAddressesFlagTakesPrimaryLikeKubeProxys() {
        assertEquals(NodePortAddresses.primaryIps(), parse("--nodeport-addresses", "primary").config().nodePortAddresses());
    }

    private static ProxyOptions parse(String... args) {
        ProxyOptions options = new ProxyOptions();
        ProxyOptions.withConverters(new CommandLine(options)).parseArgs(args);
        return options;
    }
}
