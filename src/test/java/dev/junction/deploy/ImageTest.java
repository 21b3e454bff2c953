package dev.junction.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.junction.dataplane.Transport;
import dev.junction.testing.Requirements;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1DaemonSet;
import io.kubernetes.client.util.Yaml;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Dockerfile, its launcher and .dockerignore stay consistent with the code and deploy/daemonset.yaml,
 * checked without a Docker engine: pinned bases, the tools the code runs installed, JVM memory inside the
 * pod's limit, JUNCTION_JAVA_OPTS honoured, the context limited to what the build copies.
 */
class ImageTest {

    private static final Path DOCKERFILE = Path.of("Dockerfile");
    private static final Path LAUNCHER = Path.of("bin/junction");

    /** Dockerfile instructions in order, continuation lines joined; comments dropped. */
    private static List<String> instructions() throws IOException {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : Files.readAllLines(DOCKERFILE)) {
            if (line.isBlank() || line.trim().startsWith("#")) {
                continue;
            }
            boolean more = line.endsWith("\\");
            current.append(more ? line.substring(0, line.length() - 1) : line).append(' ');
            if (!more) {
                out.add(current.toString().trim().replaceAll("\\s+", " "));
                current.setLength(0);
            }
        }
        return out;
    }

    private static List<String> starting(String keyword) throws IOException {
        return instructions().stream().filter(i -> i.startsWith(keyword + " ")).map(i -> i.substring(keyword.length() + 1))
                .toList();
    }

    /** The image's environment, from its ENV lines (KEY=VALUE pairs, values optionally double-quoted). */
    private static Map<String, String> env() throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(\\w+)=(\"[^\"]*\"|\\S+)").matcher(String.join(" ", starting("ENV")));
        while (m.find()) {
            env.put(m.group(1), m.group(2).replaceAll("^\"|\"$", ""));
        }
        return env;
    }

    private static V1Container daemonSetContainer() throws IOException {
        return Yaml.loadAll(Files.readString(Path.of("deploy/daemonset.yaml"))).stream()
                .filter(V1DaemonSet.class::isInstance).map(V1DaemonSet.class::cast).findFirst().orElseThrow()
                .getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    @Test
    void everyBaseImageIsPinnedByDigest() throws IOException {
        List<String> froms = starting("FROM");
        assertEquals(2, froms.size(), "a build stage and a runtime stage");
        for (String from : froms) {
            assertTrue(from.matches("\\S+:\\S+@sha256:[0-9a-f]{64}( AS \\w+)?"), "pinned by tag and digest: " + from);
        }
    }

    /** Every external tool the code runs is in the runtime image, or capture or the kube-proxy-rules check fails. */
    @Test
    void runtimeImageInstallsEveryToolTheCodeRuns() throws IOException {
        Map<String, String> packageOf = Map.of("ip", "iproute2", "iptables-save", "iptables",
                "ip6tables-save", "iptables", "nft", "nftables");
        String code;
        try (var files = Files.walk(Path.of("src/main/java"))) {
            StringBuilder all = new StringBuilder();
            for (Path p : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                all.append(Files.readString(p));
            }
            code = all.toString();
        }
        List<String> all = instructions();
        int lastFrom = 0;
        for (int i = 0; i < all.size(); i++) {
            lastFrom = all.get(i).startsWith("FROM ") ? i : lastFrom;
        }
        String runtimeStage = String.join("\n", all.subList(lastFrom, all.size()));
        int used = 0;
        for (var tool : packageOf.entrySet()) {
            if (code.contains("\"" + tool.getKey() + "\"")) {
                used++;
                assertTrue(runtimeStage.matches("(?s).*apt-get install[^&]*\\b" + Pattern.quote(tool.getValue()) + "\\b.*"),
                        tool.getKey() + " is run by the code: install " + tool.getValue());
            }
        }
        assertEquals(4, used, "the code runs ip, iptables-save, ip6tables-save and nft");
    }

    /** Heap, direct buffers and ~128Mi of metaspace, code cache and thread stacks fit the pod's memory limit. */
    @Test
    void jvmMemoryFitsThePodsMemoryLimit() throws IOException {
        String opts = env().get("JUNCTION_JAVA_OPTS");
        long heap = bytes(opts, "-Xmx(\\d+[kmg])");
        long direct = bytes(opts, "-XX:MaxDirectMemorySize=(\\d+[kmg])");
        long limit = daemonSetContainer().getResources().getLimits().get("memory").getNumber().longValueExact();
        assertTrue(heap + direct + (128L << 20) <= limit, opts + " within " + limit + " bytes");
        assertTrue(opts.contains("-XX:+ExitOnOutOfMemoryError"), "a JVM out of memory restarts instead of limping");
    }

    private static long bytes(String opts, String pattern) {
        Matcher m = Pattern.compile(pattern).matcher(opts);
        assertTrue(m.find(), pattern + " in " + opts);
        String v = m.group(1);
        long n = Long.parseLong(v.substring(0, v.length() - 1));
        return n << switch (v.charAt(v.length() - 1)) {
            case 'k' -> 10;
            case 'm' -> 20;
            default -> 30;
        };
    }

    /** The ENTRYPOINT is bin/junction, which passes the image's (or the pod's) JUNCTION_JAVA_OPTS to java. */
    @Test
    void entrypointIsTheLauncherAndHonoursJunctionJavaOpts(@TempDir Path dir) throws Exception {
        assertEquals("[\"/opt/junction/bin/junction\"]", starting("ENTRYPOINT").get(0));
        assertTrue(starting("COPY").contains("bin/junction bin/junction-training /opt/junction/bin/"));
        Map<String, String> env = env();
        assertTrue(starting("COPY").stream().anyMatch(c -> c.endsWith(" " + env.get("JUNCTION_JAR"))),
                "JUNCTION_JAR names the jar the image copies");
        Path bin = standInJava(dir);
        Path jar = Files.writeString(dir.resolve("junction.jar"), "");
        List<String> args = launch(bin, Map.of("JUNCTION_JAR", jar.toString(),
                "JUNCTION_JAVA_OPTS", env.get("JUNCTION_JAVA_OPTS")), "run", "--config=/etc/junction/config.yaml");
        List<String> expected = new ArrayList<>(List.of(env.get("JUNCTION_JAVA_OPTS").split(" ")));
        expected.addAll(List.of("-jar", jar.toString(), "run", "--config=/etc/junction/config.yaml"));
        assertEquals(expected, args);
        assertEquals(List.of("-Xmx200m", "-jar", jar.toString(), "run"),
                launch(bin, Map.of("JUNCTION_JAR", jar.toString(), "JUNCTION_JAVA_OPTS", "-Xmx200m"), "run"));
    }

    /**
     * The image's build trains JDK 25's AOT cache with the image's own flags (the ENV before it) into the file
     * the launcher looks for beside bin/, and the launcher passes it to java only when it is there: a checkout
     * run on JDK 17, where no cache exists, gets no flag it would refuse.
     */
    @Test
    void imageTrainsTheAotCacheThatTheLauncherPassesOnlyWhenPresent(@TempDir Path dir) throws Exception {
        List<String> all = instructions();
        int training = -1;
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).startsWith("RUN ") && all.get(i).contains("/opt/junction/bin/junction-training")) {
                training = i;
            }
        }
        assertTrue(training >= 0, "a RUN of bin/junction-training");
        String run = all.get(training);
        assertTrue(run.contains("JUNCTION_JAVA_OPTS=\"$JUNCTION_JAVA_OPTS -XX:AOTCacheOutput=/opt/junction/junction.aot\""),
                "trained with the image's flags into /opt/junction/junction.aot: " + run);
        int env = all.indexOf(all.stream().filter(i -> i.startsWith("ENV ") && i.contains("JUNCTION_JAVA_OPTS"))
                .findFirst().orElseThrow());
        assertTrue(env < training, "the image's JUNCTION_JAVA_OPTS are set before the training run");

        // The launcher as the image lays it out: /opt/junction/bin/junction, the cache in /opt/junction.
        Path home = Files.createDirectories(dir.resolve("opt/junction"));
        Path launcher = Files.createDirectories(home.resolve("bin")).resolve("junction");
        Files.copy(LAUNCHER, launcher);
        Path bin = standInJava(dir);
        Path jar = Files.writeString(dir.resolve("junction.jar"), "");
        Map<String, String> image = Map.of("JUNCTION_JAR", jar.toString(), "JUNCTION_JAVA_OPTS", "-Xmx200m");
        assertEquals(List.of("-Xmx200m", "-jar", jar.toString(), "run"), launch(launcher, bin, image, "run"));
        Path cache = Files.writeString(home.resolve("junction.aot"), "");
        assertEquals(List.of("-Xmx200m", "-XX:AOTCache=" + cache, "-jar", jar.toString(), "run"),
                launch(launcher, bin, image, "run"));
        Map<String, String> disabled = new LinkedHashMap<>(image);
        disabled.put("JUNCTION_AOT_CACHE", "");
        assertEquals(List.of("-Xmx200m", "-jar", jar.toString(), "run"), launch(launcher, bin, disabled, "run"));
    }

    /** A directory with a stand-in java that prints the arguments it was given, one per line. */
    private static Path standInJava(Path dir) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path java = bin.resolve("java");
        Files.writeString(java, "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done\n");
        assertTrue(java.toFile().setExecutable(true));
        return bin;
    }

    private static List<String> launch(Path javaDir, Map<String, String> env, String... args) throws Exception {
        return launch(LAUNCHER, javaDir, env, args);
    }

    private static List<String> launch(Path launcher, Path javaDir, Map<String, String> env, String... args)
            throws Exception {
        List<String> command = new ArrayList<>(List.of(launcher.toAbsolutePath().toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        pb.environment().put("PATH", javaDir + ":/usr/bin:/bin");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out.lines().toList();
    }

    /** The context is only what the Dockerfile copies: not target/ (tens of MB) nor .git. */
    @Test
    void dockerignoreAdmitsExactlyWhatTheBuildCopies() throws IOException {
        List<String> rules = Files.readAllLines(Path.of(".dockerignore")).stream()
                .filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        assertEquals("*", rules.get(0), "everything excluded first");
        List<String> admitted = rules.subList(1, rules.size()).stream().map(r -> r.substring(1)).sorted().toList();
        // COPY SRC... DEST: the top-level entry of each source.
        List<String> copied = starting("COPY").stream().filter(c -> !c.startsWith("--from"))
                .flatMap(c -> Stream.of(c.substring(0, c.lastIndexOf(' ')).split(" ")))
                .map(c -> c.contains("/") ? c.substring(0, c.indexOf('/')) : c)
                .distinct().sorted().toList();
        assertEquals(copied, admitted);
    }

    /** The image runs `run` by default, as the DaemonSet does (whose arguments DeployManifestTest parses). */
    @Test
    void imageRunsTheProxyByDefaultAsTheDaemonSetDoes() throws IOException {
        assertEquals("[\"run\"]", starting("CMD").get(0));
        assertEquals("run", daemonSetContainer().getArgs().get(0));
    }

    /**
     * The DaemonSet's read-only root with /tmp as its only writable place keeps the native transports: Netty
     * unpacks them into java.io.tmpdir, and without a writable one the proxy falls back to NIO (no route capture).
     * Run in a private mount namespace (needs root and unshare), the JVM started as the image starts it. The
     * tmpfs goes on a directory of its own named as java.io.tmpdir, not on /tmp itself, which would hide a
     * checkout (and its classes) that lives under /tmp.
     */
    @Test
    void aReadOnlyRootKeepsTheNativeTransportsOnlyWithAWritableTmp() throws Exception {
        Requirements.require(Files.isExecutable(Path.of("/usr/bin/unshare"))
                && "root".equals(System.getProperty("user.name")), "needs root and unshare");
        String expected = "transport (auto): " + Transport.choose(Transport.Kind.AUTO);
        assumeTrue(!expected.contains("nio"), "no native transport on this machine at all");
        assertEquals(expected, versionUnderReadOnlyRoot(true));
        assertTrue(versionUnderReadOnlyRoot(false).startsWith("transport (auto): nio (io_uring unavailable"));
    }

    private static String versionUnderReadOnlyRoot(boolean writableTmp) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Path tmp = Files.createDirectories(Path.of("target", "read-only-root-tmp")).toAbsolutePath();
        String script = "mount --bind / / && mount -o remount,bind,ro / && "
                + (writableTmp ? "mount -t tmpfs -o size=64m tmpfs \"$2\" && " : "")
                + "exec \"$0\" -Djava.io.tmpdir=\"$2\" -cp \"$1\" dev.junction.Main --version";
        Process p = new ProcessBuilder("unshare", "-m", "--propagation", "private", "sh", "-c", script, java,
                System.getProperty("java.class.path"), tmp.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out.lines().filter(l -> l.startsWith("transport")).findFirst().orElseThrow(() -> new AssertionError(out));
    }

    /** JDK 22+ warns four lines at every start unless the jar declares native access (Netty's transports). */
    @Test
    void jarManifestDeclaresNativeAccess() throws IOException {
        String pom = Files.readString(Path.of("pom.xml"));
        assertTrue(pom.contains("<Enable-Native-Access>ALL-UNNAMED</Enable-Native-Access>"));
        assertTrue(Files.readString(Path.of("LICENSE")).contains("Apache License"), "the project's licence is shipped");
    }
}
