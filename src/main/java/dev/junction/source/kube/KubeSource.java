package dev.junction.source.kube;

import dev.junction.source.ObjectSink;
import dev.junction.source.ObjectValidator;
import dev.junction.source.ServiceProxyLabels;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.apis.DiscoveryV1Api;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1Service;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import okhttp3.Call;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code kube} source: Services, EndpointSlices and this node's Node from the Kubernetes API,
 * each through its own list/watch loop ({@code ResourceWatcher}), delivered to the {@link ObjectSink}.
 * Services and EndpointSlices labelled {@code service.kubernetes.io/service-proxy-name} or
 * {@code service.kubernetes.io/headless} are filtered out by the API server, as kube-proxy's watches of
 * both do ({@link ServiceProxyLabels#SELECTOR}).
 * {@link ObjectSink#synced()} is called once, after both the Service and the EndpointSlice lists have
 * been delivered; the Node does not hold it back. A watchdog restarts watches that go quiet. While the API
 * server refuses the credentials (401 with the token file re-read, or no token to read), the sink is told the
 * source is {@link ObjectSink#stalled stalled}, and {@link ObjectSink#resumed resumed} once every resource is
 * served again: not for other failures, as an API server every node fails to reach must not fail every node's
 * readiness at once, while refused credentials are this node's own problem.
 *
 * <p>It asks for protobuf as kube-proxy does, or JSON ({@link ClientSettings}), and decodes each answer by its
 * Content-Type; lists and relists are paced by kube-proxy's qps and burst, watches are not.
 *
 * <p>The source takes over the client: it sets its read timeout to 0 (watches are long reads) and
 * installs {@link LenientJson}. Invalid objects are reported in one line each (kind, namespace/name,
 * reason) and skipped. Threading: one daemon thread per resource delivers; {@link #close()} returns
 * once they have stopped.
 */
public final class KubeSource implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KubeSource.class);

    /** Page size of lists, as client-go's reflector uses. */
    static final int PAGE_SIZE = 500;

    private final ObjectSink sink;
    private final WatchSettings settings;
    private final List<ResourceWatcher<?>> watchers;
    private final AtomicInteger listsPending = new AtomicInteger(2);
    /** Resources whose credentials the API server refuses now; the sink is stalled while there is one. */
    private final Set<String> refused = new HashSet<>();
    private final AtomicLong credentialsRefused = new AtomicLong();
    /**
     * The sink learns of refused credentials once, when the first resource is refused, and that they are accepted
     * again once every refused resource is served: it is one source, and one token serves all three.
     */
    private final ResourceWatcher.Credentials credentials = new ResourceWatcher.Credentials() {
        @Override
        public void refused(String kind, String reason) {
            synchronized (refused) {
                if (refused.add(kind) && refused.size() == 1) {
                    credentialsRefused.incrementAndGet();
                    // The watchers' own lines may name only the failure that came first (a dropped watch).
                    String line = "Kubernetes API: cannot authenticate: " + reason;
                    log.warn("{}; no change is applied until they are accepted, and health fails once this outlasts"
                            + " its limit", line);
                    sink.stalled(line);
                }
            }
            sink.flush();
        }

        @Override
        public void accepted(String kind) {
            synchronized (refused) {
                if (refused.remove(kind) && refused.isEmpty()) {
                    log.info("Kubernetes API: authenticated again");
                    sink.resumed();
                }
            }
            sink.flush();
        }
    };
    private final ListRateLimiter limiter;
    private final ScheduledExecutorService watchdog;
    private boolean started;

    /** A source with default timing and the API server's rules, whose problems are logged at ERROR. */
    public KubeSource(ApiClient client, String nodeName, ObjectSink sink) {
        this(client, nodeName, sink, ClientSettings.defaults());
    }

    /** As above, talking to the API server as {@code clientSettings} say. */
    public KubeSource(ApiClient client, String nodeName, ObjectSink sink, ClientSettings clientSettings) {
        this(client, nodeName, sink, ObjectValidator.apiServer(), line -> log.error("{}", line),
                WatchSettings.defaults(), clientSettings);
    }

    /**
     * A source that judges objects by {@code validator} and hands each problem line (an invalid object) to
     * {@code problemReporter}.
     */
    public KubeSource(ApiClient client, String nodeName, ObjectSink sink, ObjectValidator validator,
            Consumer<String> problemReporter, WatchSettings settings) {
        this(client, nodeName, sink, validator, problemReporter, settings, ClientSettings.defaults());
    }

    /** As above, talking to the API server as {@code clientSettings} say. */
    public KubeSource(ApiClient client, String nodeName, ObjectSink sink, ObjectValidator validator,
            Consumer<String> problemReporter, WatchSettings settings, ClientSettings clientSettings) {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(nodeName, "nodeName");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.settings = Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(problemReporter, "problemReporter");
        Objects.requireNonNull(validator, "validator");
        LenientJson.install();
        client.setReadTimeout(0);
        ContentNegotiation negotiation = new ContentNegotiation(client, clientSettings.contentType());
        this.limiter = new ListRateLimiter(clientSettings.qps(), clientSettings.burst(), System::nanoTime);
        CoreV1Api core = new CoreV1Api(client);
        DiscoveryV1Api discovery = new DiscoveryV1Api(client);
        ResourceWatcher.Calls services = new ResourceWatcher.Calls() {
            @Override
            public Call list(String continueToken) throws ApiException {
                return core.listServiceForAllNamespaces().labelSelector(ServiceProxyLabels.SELECTOR).limit(PAGE_SIZE)
                        ._continue(continueToken).buildCall(null);
            }

            @Override
            public Call watch(String resourceVersion, int timeoutSeconds)
                    throws ApiException {
                return core.listServiceForAllNamespaces().labelSelector(ServiceProxyLabels.SELECTOR).watch(true)
                        .allowWatchBookmarks(true).resourceVersion(resourceVersion).timeoutSeconds(timeoutSeconds)
                        .buildCall(null);
            }
        };
        ResourceWatcher.Calls slices = new ResourceWatcher.Calls() {
            @Override
            public Call list(String continueToken) throws ApiException {
                return discovery.listEndpointSliceForAllNamespaces().labelSelector(ServiceProxyLabels.SELECTOR)
                        .limit(PAGE_SIZE)._continue(continueToken).buildCall(null);
            }

            @Override
            public Call watch(String resourceVersion, int timeoutSeconds)
                    throws ApiException {
                return discovery.listEndpointSliceForAllNamespaces().labelSelector(ServiceProxyLabels.SELECTOR)
                        .watch(true).allowWatchBookmarks(true).resourceVersion(resourceVersion)
                        .timeoutSeconds(timeoutSeconds).buildCall(null);
            }
        };
        String nodeSelector = "metadata.name=" + nodeName;
        ResourceWatcher.Calls node = new ResourceWatcher.Calls() {
            @Override
            public Call list(String continueToken) throws ApiException {
                return core.listNode().fieldSelector(nodeSelector)._continue(continueToken).buildCall(null);
            }

            @Override
            public Call watch(String resourceVersion, int timeoutSeconds)
                    throws ApiException {
                return core.listNode().fieldSelector(nodeSelector).watch(true).allowWatchBookmarks(true)
                        .resourceVersion(resourceVersion).timeoutSeconds(timeoutSeconds).buildCall(null);
            }
        };
        this.watchers = List.of(
                new ResourceWatcher<>("Service", V1Service.class, services, sink, validator, problemReporter,
                        this::initialListDone, credentials, settings, negotiation, limiter),
                new ResourceWatcher<>("EndpointSlice", V1EndpointSlice.class, slices, sink, validator,
                        problemReporter, this::initialListDone, credentials, settings, negotiation, limiter),
                new ResourceWatcher<>("Node", V1Node.class, node, sink, validator, problemReporter, () -> { },
                        credentials, settings, negotiation, limiter));
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "junction-kube-watchdog");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts listing and watching; returns at once. The sink sees the initial state, then
     * {@code synced()}, then changes as they happen.
     *
     * @throws IllegalStateException when already started
     */
    public synchronized void start() {
        if (started) {
            throw new IllegalStateException("already started");
        }
        started = true;
        long tickMillis = Math.max(10, Math.min(1_000, settings.quietLimit().toMillis() / 4));
        watchdog.scheduleWithFixedDelay(() -> {
            long now = System.nanoTime();
            for (ResourceWatcher<?> w : watchers) {
                w.checkQuiet(now);
            }
        }, tickMillis, tickMillis, TimeUnit.MILLISECONDS);
        for (ResourceWatcher<?> w : watchers) {
            w.start();
        }
    }

    /**
     * Relists so far, of every resource, because the API server was behind the resourceVersion held (etcd
     * restored from a backup, or a watch cache lagging behind etcd); read from any thread.
     */
    public long relistsServerBehind() {
        return watchers.stream().mapToLong(ResourceWatcher::relistsServerBehind).sum();
    }

    /**
     * Times the API server began refusing the credentials (the source stalled), over all resources; read from any
     * thread.
     */
    public long credentialsRefused() {
        return credentialsRefused.get();
    }

    /** Lists so far that waited for the client-side rate limit (--kube-api-qps, --kube-api-burst); any thread. */
    public long listsThrottled() {
        return limiter.throttled();
    }

    /** Called on a watcher's thread after its first complete list has been delivered. */
    private void initialListDone() {
        if (listsPending.decrementAndGet() == 0) {
            log.info("Kubernetes API: Services and EndpointSlices listed; programming starts");
            sink.synced();
            sink.flush();
        }
    }

    /** Stops every watch and waits for the delivering threads; idempotent. */
    @Override
    public synchronized void close() {
        watchdog.shutdownNow();
        for (ResourceWatcher<?> w : watchers) {
            w.close();
        }
    }
}
