package dev.junction.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.source.kube.ApiAccess;
import io.kubernetes.client.openapi.models.V1ClusterRole;
import io.kubernetes.client.openapi.models.V1ClusterRoleBinding;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1DaemonSet;
import io.kubernetes.client.openapi.models.V1PodSpec;
import io.kubernetes.client.openapi.models.V1PolicyRule;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import io.kubernetes.client.util.Yaml;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code deploy/daemonset.yaml} parses strictly into the expected kinds, follows kube-proxy's DaemonSet
 * conventions, carries a config file Junction accepts, and grants exactly the API access the source uses.
 */
class DeployManifestTest {

    private static final Path DAEMONSET = Path.of("deploy/daemonset.yaml");
    private static final Path KUBE_SOURCE = Path.of("src/main/java/dev/junction/source/kube");

    private static List<Object> objects() throws IOException {
        return Yaml.loadAll(Files.readString(DAEMONSET));
    }

    private static <T> T one(List<Object> objects, Class<T> kind) {
        List<T> found = objects.stream().filter(kind::isInstance).map(kind::cast).toList();
        assertEquals(1, found.size(), "one " + kind.getSimpleName());
        return found.get(0);
    }

    @Test
    void parsesIntoTheExpectedKinds() throws IOException {
        List<Object> objects = objects();
        assertEquals(List.of("V1ServiceAccount", "V1ClusterRole", "V1ClusterRoleBinding", "V1ConfigMap", "V1DaemonSet"),
                objects.stream().map(o -> o.getClass().getSimpleName()).toList());
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

    @Test
    void daemonSetFollowsKubeProxysConventions() throws IOException {
        List<Object> objects = objects();
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
        assertEquals("/healthz", c.getReadinessProbe().getHttpGet().getPath());
        assertNotNull(c.getResources().getRequests().get("cpu"));
        assertNotNull(c.getResources().getRequests().get("memory"));
        assertTrue(pod.getTerminationGracePeriodSeconds() > 30, "outlasts the shutdown grace period");
    }

    /** kube-proxy's DaemonSet resolves through the node (dnsPolicy Default): the cluster DNS is a Service we serve. */
    @Test
    void resolvesNamesThroughTheNodeNotTheClusterDnsItServes() throws IOException {
        assertEquals("Default", one(objects(), V1DaemonSet.class).getSpec().getTemplate().getSpec().getDnsPolicy());
    }

    @Test
    void containerIsHardenedWithAWritableTmpOnly() throws IOException {
        V1PodSpec pod = one(objects(), V1DaemonSet.class).getSpec().getTemplate().getSpec();
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
    @Test
    void memoryIsReservedInFullAndThePodIsNodeCritical() throws IOException {
        V1PodSpec pod = one(objects(), V1DaemonSet.class).getSpec().getTemplate().getSpec();
        assertEquals("system-node-critical", pod.getPriorityClassName());
        var resources = pod.getContainers().get(0).getResources();
        assertEquals(resources.getLimits().get("memory"), resources.getRequests().get("memory"));
        assertFalse(resources.getLimits().containsKey("cpu"), "no CPU limit: throttling would stall the data path");
    }

    @Test
    void configMapCarriesAConfigJunctionAcceptsAndAKubeconfigWithAnExplicitServer() throws Exception {
        V1ConfigMap map = one(objects(), V1ConfigMap.class);
        Path config = Files.createTempFile("junction-config", ".yaml");
        try {
            Files.writeString(config, map.getData().get("config.yaml"));
            var load = Class.forName("dev.junction.config.ConfigFile").getDeclaredMethod("load", Path.class);
            load.setAccessible(true);
            load.invoke(null, config);
        } finally {
            Files.delete(config);
        }
        String kubeconfig = map.getData().get("kubeconfig");
        assertTrue(kubeconfig.contains("server: https://CONTROL_PLANE_ENDPOINT:6443"),
                "a documented placeholder for the API server's own address");
        assertFalse(kubeconfig.contains("kubernetes.default"), "never the kubernetes Service");
    }

    @Test
    void clusterRoleGrantsExactlyWhatTheSourceDeclares() throws IOException {
        assertEquals(granted(one(objects(), V1ClusterRole.class)), declared());
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
