package dev.junction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.config.OperationsConfig;
import dev.junction.config.ProxyConfig;
import dev.junction.model.LbPolicy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** The --config file: the sample loads, every rejected input names its field, flags override the file. */
class ConfigFileTest {

    @TempDir
    Path dir;

    private static final Path SAMPLE = Path.of("deploy/config.sample.yaml");

    @Test
    void sampleLoads() {
        ConfigFile file = ConfigFile.load(SAMPLE);
        assertEquals("0.0.0.0:10256", file.get("--healthz-bind-address"));
        assertEquals("127.0.0.1:10249", file.get("--metrics-bind-address"));
        assertEquals("node-1", file.get("--hostname-override"));
        assertEquals(List.of("10.0.0.0/8", dev.junction.model.Cidr.parse("fd00::/8").toString()), file.get("--nodeport-addresses"));
        assertEquals(Duration.ofSeconds(30), file.get("--udp-idle-timeout"));
        assertEquals(ProxyConfig.CaptureMode.ROUTE, file.get("--capture"));
        assertEquals(4, file.get("--workers"));
        assertEquals(ProxyConfig.TransportMode.AUTO, file.get("--transport"));
        assertEquals(LbPolicy.LEAST_CONNECTIONS, file.get("--lb"));
        assertEquals(Duration.ofMillis(500), file.get("--connect-timeout"));
        assertEquals(Duration.ofHours(1), file.get("--idle-timeout"));
        assertEquals(Duration.ofSeconds(45), file.get("--shutdown-grace-period"));
        assertEquals(2000, file.get("--metrics-max-services"));
        assertEquals(false, file.get("--metrics-per-endpoint"));
        assertEquals(Logging.LogFormat.JSON, file.get("--log-format"));
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

    @Test
    void flagsGivenOnTheCommandLineOverrideTheFile() throws IOException {
        Path manifests = Files.createDirectory(dir.resolve("manifests"));
        Main.ProxyOptions options = parse("--config", SAMPLE.toString(), "--manifests", manifests.toString(),
                "--lb", "round-robin", "--workers", "2", "--metrics-bind-address", "127.0.0.1:0",
                "--capture", "none", "--transport", "nio");
        ProxyConfig config = options.config();
        assertEquals("round-robin", config.loadBalancing(), "flag wins");
        assertEquals(2, config.workers(), "flag wins");
        assertEquals(ProxyConfig.CaptureMode.NONE, config.capture(), "flag wins");
        assertEquals(ProxyConfig.TransportMode.NIO, config.transport(), "flag wins");
        assertEquals("node-1", config.nodeName(), "from the file");
        assertEquals(Duration.ofMillis(500), config.connectTimeout(), "from the file");
        assertEquals(List.of("10.0.0.0/8", dev.junction.model.Cidr.parse("fd00::/8").toString()), config.nodePortAddresses(), "from the file");
        OperationsConfig ops = options.operations();
        assertEquals(new InetSocketAddress("127.0.0.1", 0), ops.metricsBindAddress(), "flag wins");
        assertEquals(new InetSocketAddress("0.0.0.0", 10256), ops.healthzBindAddress(), "from the file");
        assertEquals(Duration.ofSeconds(45), ops.shutdownGracePeriod(), "from the file");
        assertEquals(2000, ops.metricsMaxServices(), "from the file");
        assertFalse(ops.metricsPerEndpoint());
    }

    @Test
    void withoutAFileTheDefaultsAreKubeProxys() throws IOException {
        Path manifests = Files.createDirectory(dir.resolve("manifests"));
        OperationsConfig ops = parse("--manifests", manifests.toString()).operations();
        assertEquals(new InetSocketAddress("0.0.0.0", 10256), ops.healthzBindAddress());
        assertEquals(new InetSocketAddress("127.0.0.1", 10249), ops.metricsBindAddress());
        assertEquals(Duration.ofSeconds(60), ops.healthLimit());
        assertNull(parse("--manifests", manifests.toString(), "--metrics-bind-address", "")
                .operations().metricsBindAddress(), "empty disables");
    }

    @Test
    void aBadFileFailsTheCommandWithUsageExitCode() throws IOException {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, "junction: {lb: random}\n");
        java.io.StringWriter err = new java.io.StringWriter();
        int code = Main.execute(new java.io.PrintWriter(new java.io.StringWriter(), true),
                new java.io.PrintWriter(err, true), "run", "--config", file.toString(), "--manifests", dir.toString());
        assertEquals(Main.USAGE, code);
        assertTrue(err.toString().contains("junction.lb:"), err.toString());
    }

    private static Main.ProxyOptions parse(String... args) {
        Main.Run run = new Main.Run();
        new CommandLine(run).parseArgs(args);
        return run.options;
    }
}
