package dev.junction.source.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configuration discovery in kubectl's order, with --master overriding the server. */
class KubeClientsTest {

    @TempDir
    Path dir;

    private Path kubeconfig(String name, String server) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters: [{name: c, cluster: {server: "%s"}}]
                users: [{name: u, user: {token: secret}}]
                contexts: [{name: x, context: {cluster: c, user: u}}]
                current-context: x
                """.formatted(server));
        return file;
    }

    @Test
    void explicitKubeconfigWins() throws IOException {
        Path explicit = kubeconfig("explicit", "https://explicit:6443");
        Path fromEnv = kubeconfig("env", "https://env:6443");
        KubeClients.Connection c = KubeClients.connect(explicit, null, Map.of("KUBECONFIG", fromEnv.toString()), dir);
        assertEquals("https://explicit:6443", c.client().getBasePath());
        assertTrue(c.description().contains("--kubeconfig"), c.description());
    }

    @Test
    void kubeconfigVariableThenHomeConfig() throws IOException {
        Path fromEnv = kubeconfig("env", "https://env:6443");
        Files.createDirectories(dir.resolve(".kube"));
        Files.move(kubeconfig("home", "https://home:6443"), dir.resolve(".kube/config"));
        String missing = dir.resolve("missing").toString();
        assertEquals("https://env:6443", KubeClients.connect(null, null,
                Map.of("KUBECONFIG", missing + java.io.File.pathSeparator + fromEnv), dir).client().getBasePath());
        KubeClients.Connection home = KubeClients.connect(null, null, Map.of(), dir);
        assertEquals("https://home:6443", home.client().getBasePath());
        assertTrue(home.description().contains(".kube/config"), home.description());
    }

    @Test
    void masterOverridesTheServerOrStandsAlone() throws IOException {
        Path file = kubeconfig("k", "https://10.96.0.1:443");
        assertEquals("https://192.168.1.10:6443",
                KubeClients.connect(file, "https://192.168.1.10:6443", Map.of(), dir).client().getBasePath());
        KubeClients.Connection alone = KubeClients.connect(null, "http://127.0.0.1:8080", Map.of(), dir);
        assertEquals("http://127.0.0.1:8080", alone.client().getBasePath());
        assertTrue(alone.description().contains("without credentials"), alone.description());
    }

    @Test
    void nothingToFindIsOneClearError() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KubeClients.connect(null, null, Map.of(), dir));
        assertTrue(e.getMessage().contains("--kubeconfig") && e.getMessage().contains("--manifests"), e.getMessage());
        Path garbage = Files.writeString(dir.resolve("garbage"), "clusters: 12\n");
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> KubeClients.connect(garbage, null, Map.of(), dir));
        assertTrue(bad.getMessage().startsWith("--kubeconfig " + garbage), bad.getMessage());
    }
}
