package dev.junction.source.kube;

import static dev.junction.source.kube.ApiObjects.service;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.source.ObjectValidator;
import dev.junction.testing.Conditions;
import dev.junction.testing.FakeApiServer;
import dev.junction.testing.LogRecords;
import dev.junction.testing.RecordingSink;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kube source with the credentials a cluster gives it, against the stand-in API server requiring them:
 * issue 18's token file ending in a newline and token rotation.
 */
class KubeCredentialsTest {

    @TempDir
    Path dir;

    private final FakeApiServer api = FakeApiServer.start();
    private final RecordingSink sink = new RecordingSink();
    private final List<String> problems = new CopyOnWriteArrayList<>();
    private final LogRecords log = new LogRecords("dev.junction.source");
    private KubeSource source;

    @AfterEach
    void tearDown() throws Exception {
        if (source != null) {
            source.close();
        }
        api.close();
        log.close();
    }

    /** A kubeconfig naming {@code tokenFile} as kubectl users write it: relative to the kubeconfig. */
    private Path kubeconfig(String tokenFile) throws IOException {
        return Files.writeString(dir.resolve("kubeconfig"), """
                apiVersion: v1
                kind: Config
                clusters: [{name: c, cluster: {server: "%s"}}]
                users: [{name: u, user: {tokenFile: %s}}]
                contexts: [{name: x, context: {cluster: c, user: u}}]
                current-context: x
                """.formatted(api.url(), tokenFile));
    }

    private void startWith(Path kubeconfig) {
        KubeClients.Connection connection = KubeClients.connect(kubeconfig, null, Map.of(), dir);
        source = new KubeSource(connection.client(), "node-a", sink, ObjectValidator.apiServer(), problems::add,
                WatchSettings.defaults());
        source.start();
    }

    private void awaitFlushed(String event) {
        Conditions.await(event + " flushed in " + sink.flushedEvents(), () -> sink.flushedEvents().contains(event));
    }

    /** client-go's clientcmd and kubectl trim the token file; a newline made every request fail before. */
    @Test
    void tokenFileEndingInANewlineSyncs() throws IOException {
        Files.writeString(dir.resolve("token"), "s3cret\n");
        api.acceptTokens("s3cret");
        startWith(kubeconfig("token"));
        awaitFlushed("synced");
        assertTrue(api.tokens().stream().allMatch("s3cret"::equals), api.tokens().toString());
        assertEquals(List.of(), log.withStackTrace());
    }

    /**
     * The kubelet rewrites a projected token before it expires, and the API server then refuses the old one.
     * Watches that drop meanwhile resume with the new token from their resourceVersion (client-go: the 401
     * resets the cached file token source), so a change made while they were down is not lost.
     */
    @Test
    void rotatedTokenIsReadOnTheRefusalAndWatchingGoesOnWithoutLosingAChange() throws IOException {
        Path token = Files.writeString(dir.resolve("token"), "old-token");
        api.acceptTokens("old-token");
        startWith(kubeconfig("token"));
        awaitFlushed("synced");
        Conditions.await("three open watches", () -> api.openWatches() == 3);

        Files.writeString(token, "new-token");
        api.acceptTokens("new-token");
        api.dropWatches();
        api.apply(service("during", "10.96.0.20", 80, ""));
        awaitFlushed("upsert V1Service shop/during");
        Conditions.await("three open watches", () -> api.openWatches() == 3);
        api.apply(service("after", "10.96.0.21", 80, ""));
        awaitFlushed("upsert V1Service shop/after");

        assertEquals(1, log.containing("401").size(), log.containing("401").toString());
        assertEquals(List.of(), log.withStackTrace());
    }
}
