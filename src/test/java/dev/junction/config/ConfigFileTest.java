package dev.junction.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.Junction;
import dev.junction.model.Cidr;
import dev.junction.model.LbPolicy;
import dev.junction.testing.Warnings;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The --config file: the sample loads, every rejected input names its field, what it lacks stays as it was. */
class ConfigFileTest {

    @TempDir
    Path dir;

    private static final Path SAMPLE = Path.of("deploy/config.sample.yaml");

    @Test
    void sampleLoads() {
        ProxyConfig config = ConfigFile.load(SAMPLE).applyTo(ProxyConfig.builder()).build();
        OperationsConfig ops = config.operations();
        assertEquals(new InetSocketAddress("0.0.0.0", 10256), ops.healthzBindAddress());
        assertEquals(new InetSocketAddress("127.0.0.1", 10249), ops.metricsBindAddress());
        assertEquals("node-1", config.nodeName());
        assertEquals(List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("fd00::/8")), config.nodePortAddresses().prefixes());
        assertEquals(Duration.ofSeconds(30), config.udpIdleTimeout());
        assertEquals(ProxyConfig.CaptureMode.ROUTE, config.capture());
        assertEquals(4, config.workers());
        assertEquals(ProxyConfig.TransportMode.AUTO, config.transport());
        assertEquals(LbPolicy.LEAST_CONNECTIONS, config.loadBalancing());
        assertEquals(Duration.ofMillis(500), config.connectTimeout());
        assertEquals(Duration.ofHours(1), config.idleTimeout());
        assertEquals(Duration.ofMinutes(2), config.halfCloseTimeout());
        assertEquals(Duration.ofSeconds(45), ops.shutdownGracePeriod());
        assertEquals(OperationsConfig.AfterHandover.WAIT, ops.afterHandover());
        assertEquals(Path.of("/tmp/junction/ready"), ops.readyFile());
        assertEquals(2000, ops.metricsMaxServices());
        assertFalse(ops.metricsPerEndpoint());
        assertEquals(LogFormat.JSON, config.logFormat());
    }

    /** kube-proxy's clientConnection: contentType (a media type), qps and burst, as --kube-api-content-type etc. */
    @Test
    void clientConnectionSetsContentTypeQpsAndBurst() throws IOException {
        Path file = dir.resolve("client.yaml");
        Files.writeString(file, "clientConnection: {contentType: application/json, qps: 2.5, burst: 4}\n");
        assertEquals(new ProxyConfig.KubeClient(ProxyConfig.ContentType.JSON, 2.5, 4),
                ConfigFile.load(file).applyTo(ProxyConfig.builder()).build().kubeClient());
        Files.writeString(file, "clientConnection: {contentType: application/yaml}\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConfigFile.load(file));
        assertTrue(e.getMessage().contains("clientConnection.contentType: unsupported content type \"application/yaml\""),
                e.getMessage());
    }

    @Test
    void settingsTheFileLacksKeepTheBuildersValues() throws IOException {
        Path file = dir.resolve("partial.yaml");
        Files.writeString(file, "junction: {workers: 3}\n");
        ProxyConfig config = ConfigFile.load(file).applyTo(ProxyConfig.builder().workers(7).idleTimeout(Duration.ZERO)).build();
        assertEquals(3, config.workers(), "the file's");
        assertEquals(Duration.ZERO, config.idleTimeout(), "the builder's");
    }

    /** kube-proxy's local traffic detection: ClusterCIDR is its default, and only means something with a CIDR. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "clusterCIDR: '10.244.0.0/16,fd00:10:244::/56'             | 10.244.0.0/16 fd00:10:244::/56 | CLUSTER_CIDR",
        "{clusterCIDR: 10.244.0.0/16, detectLocalMode: ''}          | 10.244.0.0/16                  | CLUSTER_CIDR",
        "{clusterCIDR: 10.244.0.0/16, detectLocalMode: NodeCIDR}    | 10.244.0.0/16                  | NODE_CIDR",
        "{clusterCIDR: '', detectLocalMode: ''}                     |                                | NODE_CIDR",
        "{detectLocalMode: ClusterCIDR, clusterCIDR: 10.244.0.0/16} | 10.244.0.0/16                  | CLUSTER_CIDR",
    })
    void clusterCidrAndDetectLocalMode(String yaml, String cidrs, ProxyConfig.DetectLocalMode mode) throws IOException {
        Path file = Files.writeString(dir.resolve("local.yaml"), yaml + "\n");
        ProxyConfig config = ConfigFile.load(file).applyTo(ProxyConfig.builder()).build();
        List<Cidr> expected = cidrs == null ? List.of() : Arrays.stream(cidrs.split(" ")).map(Cidr::parse).toList();
        assertEquals(expected, config.clusterCidrs());
        assertEquals(mode, config.detectLocalMode());
    }

    @Test
    void clusterCidrModeWithoutAClusterCidrIsRefused() throws IOException {
        Path file = Files.writeString(dir.resolve("local.yaml"), "detectLocalMode: ClusterCIDR\n");
        ProxyConfig.Builder builder = ConfigFile.load(file).applyTo(ProxyConfig.builder());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, builder::build);
        assertEquals("--detect-local-mode: ClusterCIDR needs --cluster-cidr", e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "mode: [iptables]                               | mode: expected a string",
        "frobnicate: 1                                  | frobnicate: unknown field",
        "conntrack: {maxPerCpu: 1}                       | conntrack.maxPerCpu: unknown field",
        "conntrack: {udpTimeout: -5s}                    | conntrack.udpTimeout: invalid duration \"-5s\": must not be negative",
        "conntrack: {udpTimeout: soon}                   | conntrack.udpTimeout: invalid duration",
        "conntrack: {udpTimeout: 0}                      | conntrack.udpTimeout: expected a string",
        "conntrack: 5                                    | conntrack: expected a mapping",
        "healthzBindAddress: localhost:10256             | healthzBindAddress: \"localhost:10256\" is not an IP or IP:port",
        "healthzBindAddress: localhost                   | healthzBindAddress: \"localhost\" is not an IP or IP:port",
        "metricsBindAddress: 127.0.0.1:99999             | metricsBindAddress:",
        "bindAddress: my-host                            | bindAddress: \"my-host\" is not an IP address",
        "nodePortAddresses: [10.0.0.0/8, 10.0.0.0/99]    | nodePortAddresses: invalid CIDR \"10.0.0.0/99\"",
        "nodePortAddresses: [10.0.0.0/8, 7]              | nodePortAddresses[1]: expected a string",
        "nodePortAddresses: [primary, 10.0.0.0/8]        | nodePortAddresses: primary cannot be combined with CIDRs",
        "nodePortAddresses: 10.0.0.0/8                   | nodePortAddresses: expected a list",
        "clusterCIDR: 10.244.0.0/33                      | clusterCIDR: invalid CIDR",
        "clusterCIDR: 10.244.0.0/16,10.245.0.0/16        | clusterCIDR: at most one CIDR per IP family",
        "clusterCIDR: [10.244.0.0/16]                    | clusterCIDR: expected a string",
        "detectLocalMode: BridgeInterface                | detectLocalMode: detect-local mode BridgeInterface is not supported",
        "detectLocalMode: Pods                           | detectLocalMode: unknown detect-local mode",
        "kind: KubeletConfiguration                      | kind: expected KubeProxyConfiguration",
        "apiVersion: v1                                  | apiVersion: expected kubeproxy.config.k8s.io/v1alpha1",
        "junction: {workers: 0}                          | junction.workers: 0 is out of range 1-1024",
        "junction: {workers: four}                       | junction.workers: expected an integer",
        "junction: {lb: random}                          | junction.lb:",
        "junction: {capture: nft}                        | junction.capture: unknown capture mode",
        "junction: {transport: dpdk}                     | junction.transport: unknown transport",
        "junction: {connectTimeout: 0}                   | junction.connectTimeout: expected a string",
        "junction: {connectTimeout: '0'}                 | junction.connectTimeout: must be positive",
        "junction: {keepRoutes: maybe}                   | junction.keepRoutes: expected true or false",
        "junction: {udpMaxSessions: 0}                   | junction.udpMaxSessions: 0 is out of range",
        "junction: {shutdownGracePeriod: forever}        | junction.shutdownGracePeriod: invalid duration",
        "junction: {afterHandover: restart}              | junction.afterHandover: unknown after-handover mode",
        "junction: {metrics: {maxServices: -1}}          | junction.metrics.maxServices: -1 is out of range",
        "junction: {metrics: {perService: true}}         | junction.metrics.perService: unknown field",
        "junction: {logLevel: loud}                      | junction.logLevel: unknown log level",
        "junction: {logFormat: xml}                      | junction.logFormat: unknown log format",
        "junction: {frobnicate: 1}                       | junction.frobnicate: unknown field",
        "- a list                                        | (document): expected a mapping",
        "'key: [unclosed'                                | ",
    })
    void rejectedInputNamesItsField(String yaml, String expected) throws IOException {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, yaml.equals("'key: [unclosed'") ? "key: [unclosed\n" : yaml + "\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConfigFile.load(file));
        assertTrue(e.getMessage().startsWith("--config " + file + ": "), e.getMessage());
        String want = expected == null ? "not valid YAML" : expected;
        assertTrue(e.getMessage().contains(want), e.getMessage() + " should contain: " + want);
    }

    /** kubeadm's KubeProxyConfiguration as it stands in a kubeadm cluster's kube-proxy ConfigMap. */
    private static final Path KUBEADM = Path.of("src/test/resources/dev/junction/config/kubeadm-kube-proxy.yaml");

    /** Every KubeProxyConfiguration field the kubeadm file has that means nothing to Junction, sorted. */
    private static final String KUBEADM_IGNORED = "bindAddressHardFail, clientConnection.acceptContentTypes, "
            + "configSyncPeriod, conntrack.maxPerCore, conntrack.min, conntrack.tcpBeLiberal, "
            + "conntrack.tcpCloseWaitTimeout, conntrack.tcpEstablishedTimeout, conntrack.udpStreamTimeout, "
            + "detectLocal, enableProfiling, iptables.localhostNodePorts, iptables.masqueradeAll, "
            + "iptables.masqueradeBit, iptables.minSyncPeriod, ipvs, logging, nftables, oomScoreAdj, "
            + "portRange, showHiddenMetricsForVersion, winkernel";

    @Test
    void kubeadmsFileGetsKubeProxysDefaultsAndOneWarningListingTheIgnoredFields() {
        ProxyConfig config = ConfigFile.load(KUBEADM).applyTo(ProxyConfig.builder()).build();
        // kube-proxy's SetDefaults_KubeProxyConfiguration: "" is the default address for bindAddress's family.
        assertEquals(new InetSocketAddress("0.0.0.0", 10256), config.operations().healthzBindAddress());
        assertEquals(new InetSocketAddress("127.0.0.1", 10249), config.operations().metricsBindAddress());
        assertEquals(new ProxyConfig.KubeApi(Path.of("/var/lib/kube-proxy/kubeconfig.conf"), null), config.source());
        assertEquals(Duration.ofSeconds(30), config.udpIdleTimeout(), "udpTimeout 0s leaves Junction's default");
        assertEquals(NodePortAddresses.defaults(), config.nodePortAddresses(), "null is unset");
        assertEquals(ProxyConfig.builder().build().nodeName(), config.nodeName(), "an empty override is none");
        assertNull(config.bindAddress(), "0.0.0.0 names no address");
        assertEquals(new ProxyConfig.KubeClient(ProxyConfig.ContentType.PROTOBUF, 5, 10), config.kubeClient(),
                "kubeadm's contentType \"\", qps 0 and burst 0 are kube-proxy's defaults");
        assertEquals(List.of("--config " + KUBEADM + ": accepted, without effect on Junction: " + KUBEADM_IGNORED),
                config.warnings());
    }

    @Test
    void kubeadmsFileStartsJunctionWhichLogsTheWarningOnce() throws IOException {
        Path manifests = Files.createDirectory(dir.resolve("manifests"));
        ProxyConfig config = ConfigFile.load(KUBEADM).applyTo(ProxyConfig.builder()).kubeconfig(null)
                .manifests(manifests).capture(ProxyConfig.CaptureMode.NONE)
                .healthzBindAddress("127.0.0.1:0").metricsBindAddress("127.0.0.1:0").build();
        try (Warnings warnings = new Warnings(Junction.class); Junction junction = new Junction(config).start()) {
            assertEquals(config.warnings(), warnings.lines);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        // kube-proxy's AppendPortIfNeeded: a bare IP gets the default port, IPv6 in brackets.
        "healthzBindAddress: 127.0.0.1                  | 127.0.0.1:10256   | 127.0.0.1:10249",
        "healthzBindAddress: '::1'                      | [::1]:10256       | 127.0.0.1:10249",
        "metricsBindAddress: 0.0.0.0                    | 0.0.0.0:10256     | 0.0.0.0:10249",
        "metricsBindAddress: '::'                       | 0.0.0.0:10256     | [::]:10249",
        "metricsBindAddress: 10.0.0.1:9999              | 0.0.0.0:10256     | 10.0.0.1:9999",
        // An empty address is the default one of bindAddress's family (getDefaultAddresses).
        "{bindAddress: '::', healthzBindAddress: '', metricsBindAddress: ''}   | [::]:10256 | [::1]:10249",
        "{bindAddress: 10.0.0.1, healthzBindAddress: '', metricsBindAddress: ''} | 0.0.0.0:10256 | 127.0.0.1:10249",
    })
    void bindAddressesMeanWhatTheyMeanToKubeProxy(String yaml, String healthz, String metrics) throws IOException {
        Path file = Files.writeString(dir.resolve("bind.yaml"), yaml + "\n");
        OperationsConfig ops = ConfigFile.load(file).applyTo(ProxyConfig.builder()).build().operations();
        assertEquals(OperationsConfig.bindAddress("expected", healthz), ops.healthzBindAddress());
        assertEquals(OperationsConfig.bindAddress("expected", metrics), ops.metricsBindAddress());
    }

    @Test
    void primaryNodePortAddressesAreTheNodesPrimaryIpsWithBindAddressAsIt() throws IOException {
        Path file = Files.writeString(dir.resolve("primary.yaml"), "bindAddress: 10.1.2.3\nnodePortAddresses: [primary]\n");
        ProxyConfig config = ConfigFile.load(file).applyTo(ProxyConfig.builder()).build();
        assertEquals(NodePortAddresses.primaryIps(), config.nodePortAddresses());
        assertEquals(InetAddress.getByName("10.1.2.3"), config.bindAddress());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "'45s'    | 45s",
        "'1m30s'  | 90s",
        "'0s'     | 30s",
        "'1.5s'   | 1.5s",
    })
    void udpTimeoutZeroKeepsTheDefaultAsKubeProxyLeavesTheKernelsAlone(String udpTimeout, String expected)
            throws IOException {
        Path file = Files.writeString(dir.resolve("udp.yaml"), "conntrack: {udpTimeout: " + udpTimeout + "}\n");
        ProxyConfig config = ConfigFile.load(file).applyTo(ProxyConfig.builder()).build();
        assertEquals(Durations.parse(expected), config.udpIdleTimeout());
    }

    @Test
    void hostnameOverrideIsTrimmedAndLowerCasedLikeKubeProxysGetHostname() throws IOException {
        Path file = Files.writeString(dir.resolve("host.yaml"), "hostnameOverride: ' Node-1.Example '\n");
        assertEquals("node-1.example", ConfigFile.load(file).applyTo(ProxyConfig.builder()).build().nodeName());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        // kube-proxy's v1alpha1 conversion takes the syncPeriod of the mode's section; 0s is unset.
        "{iptables: {syncPeriod: 1m}, nftables: {syncPeriod: 2m}}            | 60s",
        "{mode: nftables, iptables: {syncPeriod: 1m}, nftables: {syncPeriod: 2m}} | 120s",
        "{mode: ipvs, ipvs: {syncPeriod: 45s}}                                | 45s",
        "{iptables: {syncPeriod: 0s}}                                        | 30s",
    })
    void theModesSyncPeriodSetsTheHealthLimitAsInKubeProxy(String yaml, String syncPeriod) throws IOException {
        Path file = Files.writeString(dir.resolve("sync.yaml"), yaml + "\n");
        ProxyConfig config = ConfigFile.load(file).applyTo(ProxyConfig.builder()).build();
        assertEquals(Durations.parse(syncPeriod).multipliedBy(2), config.operations().healthLimit());
    }

    @Test
    void aModeIsOneWarningThatJunctionIsTheProxyWhateverTheMode() throws IOException {
        Path file = Files.writeString(dir.resolve("mode.yaml"), "mode: ipvs\n");
        ProxyConfig config = ConfigFile.load(file).applyTo(ProxyConfig.builder()).build();
        assertEquals(List.of("--config " + file + ": mode: \"ipvs\" : Junction proxies in userspace whatever "
                + "kube-proxy's mode (the mode only picks the section whose syncPeriod is read)"), config.warnings());
    }

    @Test
    void aFileWithOnlyHonouredFieldsWarnsNothing() {
        assertEquals(List.of(), ConfigFile.load(SAMPLE).applyTo(ProxyConfig.builder()).build().warnings());
    }
}
