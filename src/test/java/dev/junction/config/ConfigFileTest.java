package dev.junction.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.model.Cidr;
import dev.junction.model.LbPolicy;
import java.io.IOException;
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
        assertEquals(List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("fd00::/8")), config.nodePortAddresses());
        assertEquals(Duration.ofSeconds(30), config.udpIdleTimeout());
        assertEquals(ProxyConfig.CaptureMode.ROUTE, config.capture());
        assertEquals(4, config.workers());
        assertEquals(ProxyConfig.TransportMode.AUTO, config.transport());
        assertEquals(LbPolicy.LEAST_CONNECTIONS, config.loadBalancing());
        assertEquals(Duration.ofMillis(500), config.connectTimeout());
        assertEquals(Duration.ofHours(1), config.idleTimeout());
        assertEquals(Duration.ofSeconds(45), ops.shutdownGracePeriod());
        assertEquals(2000, ops.metricsMaxServices());
        assertFalse(ops.metricsPerEndpoint());
        assertEquals(LogFormat.JSON, config.logFormat());
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
        "mode: iptables                                 | mode: unknown field",
        "conntrack: {maxPerCore: 1}                      | conntrack.maxPerCore: unknown field",
        "conntrack: {udpTimeout: soon}                   | conntrack.udpTimeout: invalid duration",
        "conntrack: {udpTimeout: 0}                      | conntrack.udpTimeout: expected a string",
        "conntrack: 5                                    | conntrack: expected a mapping",
        "healthzBindAddress: localhost:10256             | healthzBindAddress: \"localhost:10256\" is not an IP:port",
        "metricsBindAddress: 127.0.0.1:99999             | metricsBindAddress:",
        "bindAddress: my-host                            | bindAddress: \"my-host\" is not an IP address",
        "nodePortAddresses: [10.0.0.0/8, 10.0.0.0/99]    | nodePortAddresses[1]:",
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
}
