package dev.junction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.dataplane.Transport;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The command line: help for every flag, one clear line and exit code 2 for anything wrong. */
class MainTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void helpNamesEveryFlag() {
        for (String command : new String[] {"run", "demo", "cleanup"}) {
            assertEquals(0, run(command, "--help"));
        }
        assertEquals(0, run("--help"));
        for (String flag : new String[] {"--manifests", "--capture", "--hostname-override", "--workers", "--lb",
                "--connect-timeout", "--idle-timeout", "--udp-idle-timeout", "--udp-max-sessions",
                "--nodeport-addresses", "--keep-routes", "cleanup", "--kubeconfig", "--master", "--transport",
                "--cluster-cidr", "--detect-local-mode"}) {
            assertTrue(out.toString().contains(flag), "help mentions " + flag + ":\n" + out);
        }
    }

    @Test
    void versionPrintsTheBuildsVersionAndTheTransportAutoWouldTake() throws IOException {
        String pom = Files.readString(Path.of("pom.xml"));
        Matcher version = Pattern.compile("<artifactId>junction</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
        assertTrue(version.find(), "pom.xml names the project version");
        Transport.Choice auto = Transport.choose(Transport.Kind.AUTO);
        for (String[] args : new String[][] {{"--version"}, {"run", "--version"}, {"demo", "--version"}}) {
            out.getBuffer().setLength(0);
            assertEquals(0, run(args));
            assertEquals(List.of("junction " + version.group(1), "transport (auto): " + auto), out.toString().lines().toList(),
                    String.join(" ", args));
        }
        assertTrue(auto.kind() != Transport.Kind.AUTO && (auto.kind() == Transport.Kind.IO_URING) == auto.fallback().isEmpty(),
                "a fallback from io_uring says why: " + auto);
    }

    @Test
    void demoHelpListsOnlyWhatTheDemoHonours() {
        assertEquals(0, run("demo", "--help"));
        String help = out.toString();
        for (String honoured : new String[] {"--hostname-override", "--workers", "--transport", "--lb",
                "--connect-timeout", "--idle-timeout", "--udp-idle-timeout", "--udp-max-sessions",
                "--healthz-bind-address", "--metrics-bind-address", "--sync-period", "--metrics-max-services",
                "--metrics-per-endpoint", "--log-level", "--log-format"}) {
            assertTrue(help.contains(honoured), "demo help mentions " + honoured + ":\n" + help);
        }
        // The demo brings its own manifests, never captures, reads no file and stops at once.
        for (String ignored : new String[] {"--manifests", "--kubeconfig", "--master", "--capture",
                "--nodeport-addresses", "--keep-routes", "--config", "--shutdown-grace-period"}) {
            assertFalse(help.contains(ignored), "demo help leaves out " + ignored + ":\n" + help);
        }
        assertEquals(Main.USAGE, run("demo", "--capture", "route"), "a flag the demo would ignore is refused");
    }

    @Test
    void runWithNoSourceAndNothingToDiscoverIsOneLineAndExitCodeTwo() {
        // Discovery reads the real environment; only meaningful where there is nothing to discover.
        Assumptions.assumeTrue(System.getenv("KUBECONFIG") == null && System.getenv("KUBERNETES_SERVICE_HOST") == null
                && !Files.exists(Path.of(System.getProperty("user.home"), ".kube", "config")));
        assertEquals(2, run("run"));
        String message = err.toString().strip();
        assertEquals(1, message.lines().count(), "one line: " + message);
        assertTrue(message.contains("--manifests") && message.contains("--kubeconfig"), message);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "run --no-such-flag                               | --no-such-flag",
        "run --lb fastest                                 | fastest",
        "run --capture iptables                           | iptables",
        "run --transport dpdk                             | dpdk",
        "run --after-handover restart                     | restart",
        "run --connect-timeout soon                       | soon",
        "run --workers many                               | many",
        "run --workers 0 --manifests .                    | --workers",
        "run --manifests . --kubeconfig /etc/hosts         | --kubeconfig",
        "run --manifests . --master https://10.0.0.1:6443  | --master",
        "run --kubeconfig /no/such/file                   | /no/such/file",
        "run --master 10.0.0.1:6443                       | --master",
        "run --manifests /no/such/dir                     | /no/such/dir",
        "run --idle-timeout=-5s                           | -5s",
        "run --udp-idle-timeout 0 --manifests .           | --udp-idle-timeout",
        "run --udp-max-sessions 0 --manifests .           | --udp-max-sessions",
        "run --udp-max-sessions lots                      | lots",
        "run --nodeport-addresses 10.0.0.0/33             | 10.0.0.0/33",
        "run --nodeport-addresses 10.0.0.0/8,nope         | nope",
        "run --cluster-cidr 10.0.0.0/33                   | 10.0.0.0/33",
        "run --cluster-cidr 10.0.0.0/8,10.1.0.0/16 --manifests . | --cluster-cidr",
        "run --detect-local-mode BridgeInterface          | BridgeInterface",
        "run --detect-local-mode ClusterCIDR --manifests . | --detect-local-mode",
        "run --nodeport-addresses primary,10.0.0.0/8      | --nodeport-addresses: primary cannot be combined",
    })
    void badInputIsOneLineAndExitCodeTwo(String args, String named) {
        int code = run(args.trim().split("\\s+"));
        assertEquals(2, code, "exit code for: " + args + "\n" + err);
        String message = err.toString().strip();
        assertEquals(1, message.lines().count(), "one line: " + message);
        assertTrue(message.contains(named), "names " + named + ": " + message);
    }

    @Test
    void aBadConfigFileFailsTheCommandWithUsageExitCode() throws IOException {
        Path file = Files.writeString(dir.resolve("bad.yaml"), "junction: {lb: random}\n");
        assertEquals(Main.USAGE, run("run", "--config", file.toString(), "--manifests", dir.toString()));
        String message = err.toString().strip();
        assertEquals(1, message.lines().count(), "one line: " + message);
        assertTrue(message.contains("--config " + file + ": junction.lb:"), message);
    }
}
