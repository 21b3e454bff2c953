package dev.junction.source.kube;

import static dev.junction.source.kube.ApiObjects.service;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.source.ObjectValidator;
import dev.junction.testing.Conditions;
import dev.junction.testing.FakeApiServer;
import dev.junction.testing.LogRecords;
import dev.junction.testing.RecordingSink;
import dev.junction.testing.TestPki;
import dev.junction.testing.TlsFront;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;
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
    private TlsFront front;

    @AfterEach
    void tearDown() throws Exception {
        if (source != null) {
            source.close();
        }
        if (front != null) {
            front.close();
        }
        api.close();
        log.close();
    }

    /** Writes {@code token} to the token file the kubeconfigs name; the API server accepts it (trimmed) alone. */
    private Path tokenFile(String token) throws IOException {
        api.acceptTokens(token.strip());
        return Files.writeString(dir.resolve("token"), token);
    }

    /** A kubeconfig naming {@code tokenFile} as kubectl users write it: relative to the kubeconfig. */
    private Path kubeconfig(String tokenFile) throws IOException {
        return kubeconfig(api.url(), "", "tokenFile: " + tokenFile);
    }

    /** A kubeconfig for {@code server} with {@code cluster} and {@code user} fields (YAML flow mappings' inside). */
    private Path kubeconfig(String server, String cluster, String user) throws IOException {
        return Files.writeString(dir.resolve("kubeconfig"), """
                apiVersion: v1
                kind: Config
                clusters: [{name: c, cluster: {server: "%s"%s}}]
                users: [{name: u, user: {%s}}]
                contexts: [{name: x, context: {cluster: c, user: u}}]
                current-context: x
                """.formatted(server, cluster.isEmpty() ? "" : ", " + cluster, user));
    }

    private void startWith(Path kubeconfig) {
        start(KubeClients.connect(kubeconfig, null, Map.of(), dir));
    }

    private void start(KubeClients.Connection connection) {
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
        tokenFile("s3cret\n");
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
        Path token = tokenFile("old-token");
        startWith(kubeconfig("token"));
        watchOnAcrossRotation(token);
    }

    /**
     * The same over HTTPS with the CA of the kubeconfig's certificate-authority-data and HTTP/2 negotiated by
     * ALPN, as OkHttp talks to kube-apiserver: the watches are streams of one connection.
     */
    @Test
    void rotatedTokenOverHttp2WithTheKubeconfigsCa() throws IOException {
        TestPki pki = TestPki.create();
        front = TlsFront.start(api, pki, false);
        Path token = tokenFile("old-token");
        startWith(kubeconfig(front.url(), "certificate-authority-data: " + pki.caData(), "tokenFile: token"));
        watchOnAcrossRotation(token);
        assertTrue(front.streams() >= api.requests().size(), front.streams() + " streams");
    }

    /**
     * In a pod (client-go's InClusterConfig): the service account's ca.crt verifies the API server and its
     * token file, which the kubelet rewrites, authenticates; the same rotation over HTTP/2.
     */
    @Test
    void inClusterServiceAccountTokenIsRotatedToo() throws IOException {
        TestPki pki = TestPki.create();
        front = TlsFront.start(api, pki, false);
        Path account = Files.createDirectories(dir.resolve("serviceaccount"));
        Files.writeString(account.resolve("ca.crt"), TestPki.pem(pki.ca()));
        Path token = Files.writeString(account.resolve("token"), "old-token");
        api.acceptTokens("old-token");
        String port = front.url().substring(front.url().lastIndexOf(':') + 1);
        KubeClients.Connection connection = KubeClients.connect(null, null,
                Map.of("KUBERNETES_SERVICE_HOST", "127.0.0.1", "KUBERNETES_SERVICE_PORT", port),
                dir.resolve("no-home"), account);
        assertEquals("in-cluster service account", connection.description());
        start(connection);
        watchOnAcrossRotation(token);
    }

    /** A kubeconfig with a client certificate and key (client-certificate-data, client-key-data), no token. */
    @Test
    void clientCertificateOfTheKubeconfigAuthenticates() throws IOException {
        TestPki pki = TestPki.create();
        front = TlsFront.start(api, pki, true);
        TestPki.Issued client = pki.client("system:kube-proxy", "system:node-proxier");
        startWith(kubeconfig(front.url(), "certificate-authority-data: " + pki.caData(),
                "client-certificate-data: " + TestPki.data(client.certificatePem())
                        + ", client-key-data: " + TestPki.data(client.keyPem())));
        awaitFlushed("synced");
        api.apply(service("web", "10.96.0.10", 80, ""));
        awaitFlushed("upsert V1Service shop/web");
        assertTrue(front.clientSubjects().contains("O=system:node-proxier,CN=system:kube-proxy"),
                front.clientSubjects().toString());
    }

    /** Rotates {@code token} once the source has synced and watches; asserts no change is lost and one 401 line. */
    private void watchOnAcrossRotation(Path token) throws IOException {
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

        assertEquals(1, log.containing(" 401").size(), log.containing(" 401").toString());
        assertEquals(List.of(), log.withStackTrace());
    }

    /**
     * RBAC without a rule the proxy needs (the ClusterRole missing a verb): one line per resource naming the
     * verb, resource and API group the request needed, no stack trace; the resources it may read are served.
     */
    @Test
    void forbiddenListOrWatchSaysWhichPermissionIsMissing() throws IOException {
        api.forbid(FakeApiServer.Resource.SERVICES, "list");
        api.forbid(FakeApiServer.Resource.ENDPOINT_SLICES, "watch");
        api.apply(ApiObjects.node("node-a", "zone-a"));
        startWith(kubeconfig(api.url(), "", "token: t"));
        awaitFlushed("upsert V1Node node-a");
        Conditions.await("a line for each refused resource", () -> log.containing("403").size() >= 2);
        assertEquals(List.of("Service: API server answered 403: missing RBAC permission \"list\" on \"services\" in API"
                + " group \"\" cluster-wide (grant it in the proxy's ClusterRole): services is forbidden: User"
                + " \"system:serviceaccount:kube-system:junction\" cannot list resource \"services\" in API group"
                + " \"\" at the cluster scope; retrying with backoff up to PT30S (serving the last applied state)"),
                log.containing("Service: API server answered 403"));
        assertEquals(1, log.containing("missing RBAC permission \"watch\" on \"endpointslices\" in API group"
                + " \"discovery.k8s.io\" cluster-wide").size(), log.containing("403").toString());
        assertEquals(List.of(), log.withStackTrace());
    }

    /**
     * A token the API server refuses while the file holds no newer one (revoked, or the kubelet failing to
     * rewrite it): the sink is told once that the source is stalled, so health can fail, and once that it follows
     * again when a token that works appears; no change made meanwhile is lost.
     */
    @Test
    void refusedCredentialsStallTheSourceUntilAWorkingTokenAppears() throws IOException {
        Path token = tokenFile("revoked");
        startWith(kubeconfig("token"));
        awaitFlushed("synced");
        Conditions.await("three open watches", () -> api.openWatches() == 3);

        api.acceptTokens("fresh");
        api.dropWatches();
        api.apply(service("during", "10.96.0.20", 80, ""));
        Conditions.await("stalled in " + sink.flushedEvents(),
                () -> sink.flushedEvents().stream().anyMatch(e -> e.startsWith("stalled: ")));
        assertEquals(List.of("stalled: Kubernetes API: cannot authenticate: API server answered 401: Unauthorized"),
                sink.events().stream().filter(e -> e.startsWith("stalled")).toList());

        Files.writeString(token, "fresh");
        awaitFlushed("resumed");
        awaitFlushed("upsert V1Service shop/during");
        assertEquals(1, sink.events().stream().filter(e -> e.startsWith("stalled")).count(), sink.events().toString());
        assertEquals(1, source.credentialsRefused());
        assertEquals(1, log.containing("cannot authenticate: API server answered 401").size(), log.records.size()
                + " records");
        assertEquals(1, log.containing("authenticated again").size());
        assertEquals(List.of(), log.withStackTrace());
    }

    /**
     * A token file not there yet (the kubelet has not projected it): one line naming the file, no stack trace,
     * the source stalled; it syncs once the file appears.
     */
    @Test
    void missingTokenFileStallsTheSourceUntilItAppears() throws IOException {
        api.acceptTokens("late");
        startWith(kubeconfig("token"));
        Conditions.await("stalled in " + sink.flushedEvents(),
                () -> sink.flushedEvents().stream().anyMatch(e -> e.startsWith("stalled: ")));
        Path token = dir.resolve("token");
        assertEquals(1, log.containing("cannot authenticate: token file " + token + " does not exist").size(),
                log.records.size() + " records");
        Files.writeString(token, "late\n");
        awaitFlushed("synced");
        awaitFlushed("resumed");
        assertEquals(List.of(), log.withStackTrace());
    }

    /**
     * Issue 18: a request client-java cannot even build (a static token with a newline, which it sends
     * untrimmed as client-go does) logged a stack trace on every retry. Now once per episode, then debug lines.
     */
    @Test
    void requestThatCannotBeBuiltLogsOneStackTraceNotOnePerRetry() throws IOException {
        Logger watcher = Logger.getLogger(ResourceWatcher.class.getName());
        Level level = watcher.getLevel();
        watcher.setLevel(Level.FINE);
        try (LogRecords fine = new LogRecords(ResourceWatcher.class.getName())) {
            KubeClients.Connection connection = KubeClients.connect(kubeconfig(api.url(), "", "token: \"t\\n\""), null,
                    Map.of(), dir);
            source = new KubeSource(connection.client(), "node-a", sink, ObjectValidator.apiServer(), problems::add,
                    new WatchSettings(Duration.ofMinutes(5), Duration.ofMillis(1), Duration.ofMillis(2),
                            Duration.ofSeconds(10)));
            source.start();
            Conditions.await("ten retries", () -> fine.containing("Service: still failing").size() >= 10);
            assertEquals(1, log.withStackTrace().stream().filter(l -> l.startsWith("Service:")).count(),
                    log.withStackTrace().toString());
        } finally {
            watcher.setLevel(level);
        }
    }
}
