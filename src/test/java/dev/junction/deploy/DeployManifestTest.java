package dev.junction.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.Main;
import dev.junction.config.OperationsConfig;
import dev.junction.config.ProxyConfig;
import dev.junction.config.ProxyOptions;
import dev.junction.handover.HandoverServer;
import dev.junction.source.kube.ApiAccess;
import dev.junction.testing.Requirements;
import io.kubernetes.client.custom.IntOrString;
import io.kubernetes.client.openapi.models.V1ClusterRole;
import io.kubernetes.client.openapi.models.V1ClusterRoleBinding;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1DaemonSet;
import io.kubernetes.client.openapi.models.V1PodSpec;
import io.kubernetes.client.openapi.models.V1PolicyRule;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import io.kubernetes.client.openapi.models.V1Volume;
import io.kubernetes.client.util.Yaml;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * {@code deploy/daemonset.yaml}, and the kustomize base rendered by {@code kubectl kustomize}, parse strictly
 * into the expected kinds, follow kube-proxy's DaemonSet conventions, carry a config file and arguments Junction
 * accepts, and grant exactly the API access the source uses.
 */
class DeployManifestTest {

    private static final Path DAEMONSET = Path.of("deploy/daemonset.yaml");
    private static final Path KUBE_SOURCE = Path.of("src/main/java/dev/junction/source/kube");

    /** An overlay with the two inputs the kustomize base requires, as the README shows it. */
    static final String OVERLAY = """
            images: [{name: ghcr.io/junction-proxy/junction, newName: registry.example/junction, newTag: "1.2.3"}]
            configMapGenerator:
              - {name: junction-apiserver, namespace: kube-system, behavior: replace,
                 literals: ["master=https://192.0.2.10:6443"]}
            """;

    /** The plain manifest, and the kustomize base rendered through an overlay where kubectl is installed. */
    static Stream<Named<List<Object>>> manifests() throws Exception {
        Named<List<Object>> plain = Named.of(DAEMONSET.toString(), Yaml.loadAll(Files.readString(DAEMONSET)));
        if (Kustomize.kubectl().isEmpty()) {
            return Stream.of(plain);
        }
        return Stream.of(plain, Named.of("kubectl kustomize", Yaml.loadAll(Kustomize.renderOverlay(OVERLAY))));
    }

    /** The ConfigMap that carries the config file and kubeconfig (kustomize adds one for the API server). */
    private static V1ConfigMap configMap(List<Object> objects) {
        return objects.stream().filter(V1ConfigMap.class::isInstance).map(V1ConfigMap.class::cast)
                .filter(m -> m.getMetadata().getName().equals("junction")).findFirst().orElseThrow();
    }

    private static <T> T one(List<Object> objects, Class<T> kind) {
        List<T> found = objects.stream().filter(kind::isInstance).map(kind::cast).toList();
        assertEquals(1, found.size(), "one " + kind.getSimpleName());
        return found.get(0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("manifests")
    void parsesIntoTheExpectedKinds(List<Object> objects) throws IOException {
        assertEquals(List.of("V1ServiceAccount", "V1ClusterRole", "V1ClusterRoleBinding", "V1ConfigMap", "V1DaemonSet"),
                objects.stream().map(o -> o.getClass().getSimpleName()).distinct().toList());
        V1ServiceAccount account = one(objects, V1ServiceAccount.class);
        V1ClusterRoleBinding binding = one(objects, V1ClusterRoleBinding.class);
        assertEquals(one(objects, V1ClusterRole.class).getMetadata().getName(), binding.getRoleRef().getName());
        assertEquals(account.getMetadata().getName(), binding.getSubjects().get(0).getName());
        assertEquals(account.getMetadata().getNamespace(), binding.getSubjects().get(0).getNamespace());
    }

    @Test
    void parsingIsStrict() {
        // The same loader rejects a misspelt field, so the manifest above has none.
        assertThrows(RuntimeException.class, () -> Yaml.loadAll("""
                apiVersion: v1
                kind: ServiceAccount
                metadata: {name: x, namspace: kube-system}
                """));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("manifests")
    void daemonSetFollowsKubeProxysConventions(List<Object> objects) throws IOException {
        V1DaemonSet ds = one(objects, V1DaemonSet.class);
        V1PodSpec pod = ds.getSpec().getTemplate().getSpec();
        assertEquals(true, pod.getHostNetwork());
        assertEquals("system-node-critical", pod.getPriorityClassName());
        assertEquals("Exists", pod.getTolerations().get(0).getOperator());
        assertEquals(null, pod.getTolerations().get(0).getKey(), "tolerates every taint");
        assertEquals(one(objects, V1ServiceAccount.class).getMetadata().getName(), pod.getServiceAccountName());
        V1Container c = pod.getContainers().get(0);
        assertEquals("spec.nodeName", c.getEnv().stream().filter(e -> e.getName().equals("NODE_NAME")).findFirst()
                .orElseThrow().getValueFrom().getFieldRef().getFieldPath());
        assertTrue(c.getArgs().contains("--hostname-override=$(NODE_NAME)"));
        assertEquals("run", c.getArgs().get(0));
        assertFalse(Boolean.TRUE.equals(c.getSecurityContext().getPrivileged()), "not privileged");
        assertEquals(List.of("NET_ADMIN", "NET_BIND_SERVICE"), c.getSecurityContext().getCapabilities().getAdd());
        assertEquals("/livez", c.getLivenessProbe().getHttpGet().getPath());
        assertNotNull(c.getResources().getRequests().get("cpu"));
        assertNotNull(c.getResources().getRequests().get("memory"));
    }

    /**
     * Upgrades hand the sockets over (README "Restarts and upgrades"): the new pod starts beside the old one
     * (surge, which a hostPort would block: on a host-network pod every declared port is one), finds it on a
     * socket in a hostPath both see, and is ready only when its own ready file says so; the old one drains,
     * then waits for its SIGTERM (exiting, it would be restarted and take the sockets back), which the grace
     * period lets it finish.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("manifests")
    void rollsOutWithASurgeThatHandsTheSocketsOver(List<Object> objects) throws Exception {
        V1DaemonSet ds = one(objects, V1DaemonSet.class);
        assertEquals("RollingUpdate", ds.getSpec().getUpdateStrategy().getType());
        assertEquals(new IntOrString(1), ds.getSpec().getUpdateStrategy().getRollingUpdate().getMaxSurge());
        assertEquals(new IntOrString(0), ds.getSpec().getUpdateStrategy().getRollingUpdate().getMaxUnavailable());
        V1PodSpec pod = ds.getSpec().getTemplate().getSpec();
        V1Container c = pod.getContainers().get(0);
        assertTrue(c.getPorts() == null || c.getPorts().isEmpty(), "no ports, so no hostPort: " + c.getPorts());

        ProxyConfig config = config(objects);
        OperationsConfig ops = config.operations();
        assertEquals(OperationsConfig.AfterHandover.WAIT, ops.afterHandover());
        assertEquals(List.of("/usr/bin/test", "-e", ops.readyFile().toString()), c.getReadinessProbe().getExec().getCommand());
        assertNotNull(volumeAt(pod, c, ops.readyFile()).getEmptyDir(), "the ready file is this pod's own");
        V1Volume handover = volumeAt(pod, c, config.handoverSocket());
        assertEquals(config.handoverSocket().getParent().toString(), handover.getHostPath().getPath(),
                "the node's Junctions meet on the same socket");
        assertEquals("DirectoryOrCreate", handover.getHostPath().getType());
        assertTrue(pod.getTerminationGracePeriodSeconds()
                        > ops.shutdownGracePeriod().plus(HandoverServer.EXCHANGE_DEADLINE).toSeconds(),
                "outlasts a handover under way plus the drain");
    }

    /** The volume mounted at {@code file}'s directory. */
    private static V1Volume volumeAt(V1PodSpec pod, V1Container c, Path file) {
        String name = c.getVolumeMounts().stream().filter(m -> file.startsWith(m.getMountPath())).findFirst()
                .orElseThrow(() -> new AssertionError("no volume holds " + file)).getName();
        return pod.getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst().orElseThrow();
    }

    /** The configuration the ConfigMap's config file gives Junction. */
    private static ProxyConfig config(List<Object> objects) throws Exception {
        Path file = Files.createTempFile("junction-config", ".yaml");
        try {
            Files.writeString(file, configMap(objects).getData().get("config.yaml"));
            var load = Class.forName("dev.junction.config.ConfigFile").getDeclaredMethod("load", Path.class);
            load.setAccessible(true);
            Object loaded = load.invoke(null, file);
            var applyTo = loaded.getClass().getDeclaredMethod("applyTo", ProxyConfig.Builder.class);
            applyTo.setAccessible(true);
            return ((ProxyConfig.Builder) applyTo.invoke(loaded, ProxyConfig.builder())).build();
        } finally {
            Files.delete(file);
        }
    }

    /** kube-proxy's DaemonSet resolves through the node (dnsPolicy Default): the cluster DNS is a Service we serve. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("manifests")
    void resolvesNamesThroughTheNodeNotTheClusterDnsItServes(List<Object> objects) throws IOException {
        assertEquals("Default", one(objects, V1DaemonSet.class).getSpec().getTemplate().getSpec().getDnsPolicy());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("manifests")
    void containerIsHardenedWithAWritableTmpOnly(List<Object> objects) throws IOException {
        V1PodSpec pod = one(objects, V1DaemonSet.class).getSpec().getTemplate().getSpec();
        V1Container c = pod.getContainers().get(0);
        var security = c.getSecurityContext();
        assertEquals("RuntimeDefault", security.getSeccompProfile().getType());
        assertEquals(true, security.getReadOnlyRootFilesystem());
        assertEquals(false, security.getAllowPrivilegeEscalation());
        assertEquals(List.of("ALL"), security.getCapabilities().getDrop());
        assertEquals("FallbackToLogsOnError", c.getTerminationMessagePolicy());
        // Netty unpacks its native transports into java.io.tmpdir: with a read-only root, /tmp must be a volume.
        String tmpVolume = c.getVolumeMounts().stream().filter(m -> m.getMountPath().equals("/tmp")).findFirst()
                .orElseThrow(() -> new AssertionError("no writable /tmp")).getName();
        assertNotNull(pod.getVolumes().stream().filter(v -> v.getName().equals(tmpVolume)).findFirst().orElseThrow()
                .getEmptyDir());
    }

    /**
     * Survives node memory pressure as kube-proxy does: system-node-critical gives the pod a Guaranteed pod's
     * oom_score_adj and keeps the kubelet from evicting it; memory request = limit, so its usage never exceeds
     * what it requested (the kubelet's eviction ranking) and the scheduler reserves all of it.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("manifests")
    void memoryIsReservedInFullAndThePodIsNodeCritical(List<Object> objects) throws IOException {
        V1PodSpec pod = one(objects, V1DaemonSet.class).getSpec().getTemplate().getSpec();
        assertEquals("system-node-critical", pod.getPriorityClassName());
        var resources = pod.getContainers().get(0).getResources();
        assertEquals(resources.getLimits().get("memory"), resources.getRequests().get("memory"));
        assertFalse(resources.getLimits().containsKey("cpu"), "no CPU limit: throttling would stall the data path");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("manifests")
    void configMapCarriesAConfigJunctionAcceptsAndAKubeconfigWithAnExplicitServer(List<Object> objects) throws Exception {
        V1ConfigMap map = configMap(objects);
        assertNotNull(config(objects));
        String kubeconfig = map.getData().get("kubeconfig");
        assertTrue(kubeconfig.contains("server: https://CONTROL_PLANE_ENDPOINT:6443"),
                "a documented placeholder for the API server's own address");
        assertFalse(kubeconfig.contains("kubernetes.default"), "never the kubernetes Service");
    }

    /** Every argument the DaemonSet passes is one the real CLI accepts ($(VAR) stands for a value). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("manifests")
    void daemonSetArgumentsParseWithTheRealCli(List<Object> objects) {
        List<String> args = one(objects, V1DaemonSet.class).getSpec().getTemplate().getSpec().getContainers().get(0)
                .getArgs().stream().map(a -> a.replaceAll("\\$\\((\\w+)\\)", "value-of-$1")).toList();
        CommandLine cli = ProxyOptions.withConverters(new CommandLine(new Main()));
        CommandLine.ParseResult parsed = cli.parseArgs(args.toArray(String[]::new));
        assertEquals("run", parsed.subcommand().commandSpec().name());
        assertEquals(args.size() - 1, parsed.subcommand().matchedOptions().size());
    }

    /** The base's two required inputs: the overlay's image and API server address reach the DaemonSet. */
    @Test
    void kustomizeOverlaySetsTheImageAndTheApiServerAddress() throws Exception {
        Requirements.require(Kustomize.kubectl().isPresent(), "kubectl (for kubectl kustomize) is not on the PATH");
        List<Object> objects = Yaml.loadAll(Kustomize.renderOverlay(OVERLAY));
        V1Container c = one(objects, V1DaemonSet.class).getSpec().getTemplate().getSpec().getContainers().get(0);
        assertEquals("registry.example/junction:1.2.3", c.getImage());
        assertTrue(c.getArgs().contains("--master=$(JUNCTION_MASTER)"));
        String map = c.getEnv().stream().filter(e -> e.getName().equals("JUNCTION_MASTER")).findFirst().orElseThrow()
                .getValueFrom().getConfigMapKeyRef().getName();
        assertTrue(map.startsWith("junction-apiserver-"), "the generated name, with its content hash: " + map);
        assertEquals("https://192.0.2.10:6443", objects.stream().filter(V1ConfigMap.class::isInstance)
                .map(V1ConfigMap.class::cast).filter(m -> m.getMetadata().getName().equals(map)).findFirst()
                .orElseThrow().getData().get("master"));
    }

    /**
     * The monitoring component binds the metrics server to the node's addresses on the port its Service and
     * ServiceMonitor scrape, declaring no port on the pod (a hostPort would block the surge), and adds the
     * Prometheus Operator's objects.
     */
    @Test
    void monitoringComponentExposesTheMetricsPortItsMonitorsScrape() throws Exception {
        Requirements.require(Kustomize.kubectl().isPresent(), "kubectl (for kubectl kustomize) is not on the PATH");
        List<Map<String, Object>> docs = new ArrayList<>();
        new org.yaml.snakeyaml.Yaml().loadAll(Kustomize.renderOverlay(OVERLAY + "components: ["
                + Kustomize.fromOverlay(Kustomize.BASE.resolve("monitoring")) + "]\n")).forEach(d -> docs.add(cast(d)));
        Map<String, Map<String, Object>> byKind = new TreeMap<>();
        docs.forEach(d -> byKind.put((String) d.get("kind"), d));
        assertTrue(byKind.keySet().containsAll(List.of("ServiceMonitor", "PrometheusRule", "Service")), byKind.keySet()::toString);
        V1DaemonSet ds = one(docs.stream().filter(d -> d.get("kind").equals("DaemonSet"))
                .map(d -> (Object) Yaml.loadAs(Yaml.dump(d), V1DaemonSet.class)).toList(), V1DaemonSet.class);
        V1Container c = ds.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertTrue(c.getArgs().contains("--metrics-bind-address=0.0.0.0:10249"));
        assertTrue(c.getPorts() == null || c.getPorts().isEmpty(), "no hostPort: " + c.getPorts());
        Map<String, Object> servicePort = cast(((List<?>) cast(byKind.get("Service").get("spec")).get("ports")).get(0));
        assertEquals(10249, servicePort.get("targetPort"));
        Map<String, Object> endpoint = cast(((List<?>) cast(byKind.get("ServiceMonitor").get("spec"))
                .get("endpoints")).get(0));
        assertEquals(servicePort.get("name"), endpoint.get("port"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object o) {
        return (Map<String, Object>) o;
    }

    /** Without kubectl: the base names the plain manifest and patches a DaemonSet container that exists there. */
    @Test
    void kustomizeBasePatchesTheJunctionContainerOfThePlainManifest() throws IOException {
        Map<String, Object> kustomization = new org.yaml.snakeyaml.Yaml()
                .load(Files.readString(Kustomize.BASE.resolve("kustomization.yaml")));
        assertEquals(List.of(DAEMONSET.getFileName().toString()), kustomization.get("resources"));
        V1DaemonSet ds = one(Yaml.loadAll(Files.readString(DAEMONSET)), V1DaemonSet.class);
        for (Object p : (List<?>) kustomization.get("patches")) {
            Map<?, ?> target = (Map<?, ?>) ((Map<?, ?>) p).get("target");
            assertEquals("DaemonSet", target.get("kind"));
            assertEquals(ds.getMetadata().getName(), target.get("name"));
            assertTrue(((String) ((Map<?, ?>) p).get("patch")).contains("/spec/template/spec/containers/0/"));
        }
        V1Container first = ds.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertEquals("junction", first.getName());
        assertNotNull(first.getEnv(), "the patch appends to env");
        assertNotNull(first.getArgs(), "the patch appends to args");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("manifests")
    void clusterRoleGrantsExactlyWhatTheSourceDeclares(List<Object> objects) throws IOException {
        assertEquals(granted(one(objects, V1ClusterRole.class)), declared());
    }

    /**
     * The kube source's own API calls, read from its code: {@code listXForAllNamespaces}/{@code listX} is a
     * list, the same chain with {@code .watch(true)} a watch, {@code readX} a get. They must be exactly what
     * {@link ApiAccess} declares.
     */
    @Test
    void apiAccessMatchesTheCallsInTheKubeSource() throws IOException {
        assertTrue(Files.exists(KUBE_SOURCE.resolve("KubeSource.java")), "the Kubernetes API source is missing");
        Map<String, TreeSet<String>> used = new TreeMap<>();
        // Calls on the generated API classes (CoreV1Api core = ...; core.listNode(...)), nothing else.
        Pattern api = Pattern.compile("\\b(\\w+V\\d\\w*Api)\\s+(\\w+)\\s*=");
        Pattern call = Pattern.compile("\\b(\\w+)\\.(list|read|create|patch|replace|delete)(?:Namespaced)?([A-Z]\\w+?)(ForAllNamespaces)?\\(");
        List<Path> sources;
        try (Stream<Path> files = Files.list(KUBE_SOURCE)) {
            sources = files.filter(p -> p.toString().endsWith(".java")).toList();
        }
        for (Path p : sources) {
            String code = Files.readString(p);
            java.util.Set<String> clients = new java.util.HashSet<>();
            Matcher declared = api.matcher(code);
            while (declared.find()) {
                clients.add(declared.group(2));
            }
            Matcher m = call.matcher(code);
            while (m.find()) {
                if (!clients.contains(m.group(1))) {
                    continue;
                }
                String statement = code.substring(m.start(), Math.max(m.start(), code.indexOf(';', m.start())));
                String resource = plural(m.group(3));
                String verb = switch (m.group(2)) {
                    case "list" -> statement.contains(".watch(true)") ? "watch" : "list";
                    case "read" -> "get";
                    case "replace" -> "update";
                    default -> m.group(2);
                };
                used.computeIfAbsent(group(resource) + "/" + resource, k -> new TreeSet<>()).add(verb);
            }
        }
        assertEquals(declared(), used);
    }

    private static Map<String, TreeSet<String>> declared() {
        Map<String, TreeSet<String>> rules = new TreeMap<>();
        for (ApiAccess.Rule r : ApiAccess.RULES) {
            rules.computeIfAbsent(r.group() + "/" + r.resource(), k -> new TreeSet<>()).addAll(r.verbs());
        }
        return rules;
    }

    private static Map<String, TreeSet<String>> granted(V1ClusterRole role) {
        Map<String, TreeSet<String>> rules = new TreeMap<>();
        for (V1PolicyRule rule : role.getRules()) {
            for (String group : rule.getApiGroups()) {
                for (String resource : rule.getResources()) {
                    rules.computeIfAbsent(group + "/" + resource, k -> new TreeSet<>()).addAll(rule.getVerbs());
                }
            }
        }
        return rules;
    }

    private static String plural(String kind) {
        String lower = kind.toLowerCase(java.util.Locale.ROOT);
        return lower.endsWith("s") ? lower : lower + "s";
    }

    private static String group(String resource) {
        return resource.equals("endpointslices") ? "discovery.k8s.io" : "";
    }
}
