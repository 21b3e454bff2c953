package dev.junction.source.kube;

import static dev.junction.source.kube.ApiObjects.labelledService;
import static dev.junction.source.kube.ApiObjects.labelledSlice;
import static dev.junction.source.kube.ApiObjects.node;
import static dev.junction.source.kube.ApiObjects.service;
import static dev.junction.source.kube.ApiObjects.slice;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.source.ObjectSink;
import dev.junction.source.ObjectValidator;
import dev.junction.testing.Conditions;
import dev.junction.testing.FakeApiServer;
import dev.junction.testing.FakeApiServer.Resource;
import dev.junction.testing.FakeApiServer.TooLargeAnswer;
import dev.junction.testing.RecordingSink;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1Service;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The kube source against a real HTTP server playing the API server: what reaches the sink, and when. Runs in
 * protobuf, the default, as kube-proxy asks for it; {@code KubeSourceJsonTest} runs every case again in JSON.
 */
class KubeSourceTest {

    /** What the source asks for. */
    ApiContentType contentType() {
        return ApiContentType.PROTOBUF;
    }

    private static final String WEB = "upsert V1Service shop/web";
    private static final String WEB_SLICE = "upsert V1EndpointSlice shop/web-1";
    /** The label selector of kube-proxy's Service and EndpointSlice watches. */
    private static final String KUBE_PROXY_SELECTOR =
            "!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless";

    private final FakeApiServer api = FakeApiServer.start();
    private final RecordingSink sink = new RecordingSink();
    private final List<String> problems = new CopyOnWriteArrayList<>();
    private KubeSource source;

    @AfterEach
    void tearDown() throws Exception {
        if (source != null) {
            source.close();
        }
        api.close();
    }

    private KubeSource start(WatchSettings settings) {
        return start(settings, ClientSettings.defaults());
    }

    private KubeSource start(WatchSettings settings, ClientSettings client) {
        source = new KubeSource(new ApiClient().setBasePath(api.url()), "node-a", sink, ObjectValidator.apiServer(),
                problems::add, settings, client.withContentType(contentType()));
        source.start();
        return source;
    }

    private KubeSource start() {
        return start(WatchSettings.defaults());
    }

    private void awaitEvent(String event) {
        Conditions.await(event + " in " + sink.events(), () -> sink.events().contains(event));
    }

    /** Waits until {@code event} has been delivered and flushed, so a control plane would have applied it. */
    private void awaitFlushed(String event) {
        Conditions.await(event + " flushed in " + sink.flushedEvents(), () -> sink.flushedEvents().contains(event));
    }

    /** Waits until {@code event} has been flushed {@code times} times. */
    private void awaitFlushed(String event, long times) {
        Conditions.await(event + " flushed " + times + " times in " + sink.flushedEvents(),
                () -> sink.flushedEvents().stream().filter(event::equals).count() == times);
    }

    /** Waits until the three watches (Services, EndpointSlices, Node) are open. */
    private void awaitWatching() {
        Conditions.await("three open watches", () -> api.openWatches() == 3);
    }

    /** Starts the source and waits until its initial state is flushed and its three watches are open. */
    private void startWatching() {
        start();
        awaitFlushed("synced");
        awaitWatching();
    }

    /** Issue 14, item 4, for the API source: an Error never ends a watcher thread silently. */
    @Test
    void anErrorThatEndsAWatcherIsReportedAndTheSourceFailed() {
        RecordingSink failing = new RecordingSink(new ObjectSink() {
            @Override
            public void upsert(KubernetesObject object) {
                if ("boom".equals(object.getMetadata().getName())) {
                    throw new OutOfMemoryError("Java heap space");
                }
            }

            @Override
            public void delete(KubernetesObject object) {
            }

            @Override
            public void synced() {
            }

            @Override
            public void failed(String reason) {
            }

            @Override
            public void stalled(String reason) {
            }

            @Override
            public void resumed() {
            }

            @Override
            public void flush() {
            }
        });
        source = new KubeSource(new ApiClient().setBasePath(api.url()), "node-a", failing,
                ObjectValidator.apiServer(), problems::add, WatchSettings.defaults());
        source.start();
        Conditions.await("synced", () -> failing.flushedEvents().contains("synced"));

        api.apply(service("boom", "10.0.0.9", 80, ""));

        String failed = "failed: Service watch stopped: java.lang.OutOfMemoryError: Java heap space; no further"
                + " changes will be applied";
        Conditions.await(failed + " in " + failing.events(), () -> failing.events().contains(failed));
        assertEquals(List.of("upsert V1Service shop/boom", failed),
                failing.events().subList(failing.events().indexOf("synced") + 1, failing.events().size()));
    }

    @Test
    void listedObjectsAreDeliveredAndFlushedBeforeSynced() {
        api.apply(service("web", "10.0.0.1", 80, ""));
        api.apply(slice("web-1", "web", 8080, "10.1.0.1"));
        start();
        awaitFlushed("synced");
        List<String> flushed = sink.flushedEvents();
        assertEquals(Set.of(WEB, WEB_SLICE), Set.copyOf(flushed.subList(0, flushed.indexOf("synced"))),
                flushed.toString());
    }

    @Test
    void onlyThisNodeIsListedAndWatched() {
        api.apply(node("node-a", "zone-1"));
        api.apply(node("node-b", "zone-2"));
        start();
        awaitEvent("upsert V1Node node-a");
        awaitWatching();
        assertFalse(sink.events().contains("upsert V1Node node-b"), sink.events().toString());
        assertTrue(api.requests().stream().anyMatch(r -> r.contains("fieldSelector=metadata.name=node-a")),
                api.requests().toString());
    }

    @Test
    void aModifiedObjectIsDeliveredAndFlushedWithItsNewContent() {
        api.apply(slice("web-1", "web", 8080, "10.1.0.1"));
        startWatching();
        api.apply(slice("web-1", "web", 8080, "10.1.0.2"));
        awaitFlushed(WEB_SLICE, 2);
        V1EndpointSlice slice = (V1EndpointSlice) sink.last(WEB_SLICE);
        assertEquals("10.1.0.2", slice.getEndpoints().get(0).getAddresses().get(0));
    }

    @Test
    void aDeletedObjectIsDeliveredAndFlushedAsADelete() {
        api.apply(service("web", "10.0.0.1", 80, ""));
        startWatching();
        api.delete(Resource.SERVICES, "shop", "web");
        awaitFlushed("delete V1Service shop/web");
    }

    @Test
    void laterChangesNeitherRepeatSyncedNorReportProblems() {
        api.apply(service("web", "10.0.0.1", 80, ""));
        api.apply(slice("web-1", "web", 8080, "10.1.0.1"));
        startWatching();
        api.apply(slice("web-1", "web", 8080, "10.1.0.2"));
        api.delete(Resource.SERVICES, "shop", "web");
        awaitFlushed(WEB_SLICE, 2);
        awaitFlushed("delete V1Service shop/web");
        assertEquals(1, sink.count("synced"), sink.events().toString());
        assertEquals(List.of(), problems);
    }

    @Test
    void servicesOfAnotherProxyAndHeadlessOnesAreFilteredByTheServer() {
        api.apply(labelledService("other", "10.0.0.2", 80, "service.kubernetes.io/service-proxy-name"));
        api.apply(labelledService("headless", "10.0.0.3", 80, "service.kubernetes.io/headless"));
        api.apply(service("web", "10.0.0.1", 80, ""));
        start();
        awaitEvent("synced");
        awaitWatching();
        api.apply(labelledService("other2", "10.0.0.4", 80, "service.kubernetes.io/service-proxy-name"));
        api.apply(service("web2", "10.0.0.5", 80, ""));
        awaitEvent("upsert V1Service shop/web2");
        assertEquals(List.of(WEB, "upsert V1Service shop/web2"),
                sink.events().stream().filter(e -> e.contains("V1Service")).toList());
        assertTrue(api.requests().stream().filter(r -> r.contains("/services")).allMatch(r -> r.contains(
                "labelSelector=" + KUBE_PROXY_SELECTOR)), api.requests().toString());
    }

    /**
     * kube-proxy's EndpointSlice informer comes from the same factory as its Service informer, with the same
     * label selector (cmd/kube-proxy/app/server.go): such slices are never seen, and one that gains a label
     * is seen deleted.
     */
    @Test
    void slicesOfAnotherProxyAndHeadlessOnesAreFilteredByTheServer() {
        api.apply(labelledSlice("web-other", "web", 8080, "service.kubernetes.io/service-proxy-name", "10.1.0.2"));
        api.apply(labelledSlice("web-headless", "web", 8080, "service.kubernetes.io/headless", "10.1.0.3"));
        api.apply(slice("web-1", "web", 8080, "10.1.0.1"));
        startWatching();
        api.apply(labelledSlice("web-other2", "web", 8080, "service.kubernetes.io/service-proxy-name", "10.1.0.4"));
        api.apply(slice("web-2", "web", 8080, "10.1.0.5"));
        // One watch stream, in order: once web-2 is here, web-other2 would have been too.
        awaitEvent("upsert V1EndpointSlice shop/web-2");
        api.apply(labelledSlice("web-1", "web", 8080, "service.kubernetes.io/service-proxy-name", "10.1.0.1"));
        awaitEvent("delete V1EndpointSlice shop/web-1");

        assertEquals(List.of(WEB_SLICE, "upsert V1EndpointSlice shop/web-2", "delete V1EndpointSlice shop/web-1"),
                sink.events().stream().filter(e -> e.contains("V1EndpointSlice")).toList());
        assertTrue(api.requests().stream().filter(r -> r.contains("/endpointslices")).allMatch(r -> r.contains(
                "labelSelector=" + KUBE_PROXY_SELECTOR)), api.requests().toString());
    }

    @Test
    void relistAfterCompactionLosesNothingAndDuplicatesNothing() {
        api.apply(service("web", "10.0.0.1", 80, ""));
        api.apply(service("old", "10.0.0.2", 80, ""));
        api.apply(service("same", "10.0.0.3", 80, ""));
        api.apply(slice("web-1", "web", 8080, "10.1.0.1"));
        start();
        awaitEvent("synced");
        awaitWatching();
        long lists = api.count("LIST /api/v1/services");

        // While the watches hear nothing, the cluster changes and etcd compacts the history away.
        api.stallWatches();
        api.apply(service("new", "10.0.0.4", 80, ""));
        api.delete(Resource.SERVICES, "shop", "old");
        api.apply(slice("web-1", "web", 8080, "10.1.0.9"));
        api.compact();
        api.dropWatches();

        awaitEvent("upsert V1Service shop/new");
        awaitEvent("delete V1Service shop/old");
        Conditions.await("the modified slice", () -> sink.count(WEB_SLICE) == 2);
        assertEquals("10.1.0.9", ((V1EndpointSlice) sink.last(WEB_SLICE)).getEndpoints().get(0).getAddresses().get(0));
        assertTrue(api.count("LIST /api/v1/services") > lists, "relisted: " + api.requests());
        // Unchanged objects are not re-delivered, changed ones once.
        assertEquals(1, sink.count(WEB));
        assertEquals(1, sink.count("upsert V1Service shop/same"));
        assertEquals(1, sink.count("upsert V1Service shop/new"));
        assertEquals(1, sink.count("delete V1Service shop/old"));
        assertEquals(1, sink.count("synced"));
    }

    @Test
    void goneErrorEventOnAnOpenWatchRelists() {
        api.apply(service("web", "10.0.0.1", 80, ""));
        start();
        awaitEvent("synced");
        awaitWatching();
        long lists = api.count("LIST /api/v1/services");
        api.expireWatches();
        Conditions.await("a relist", () -> api.count("LIST /api/v1/services") > lists);
        awaitWatching();
        api.apply(service("after", "10.0.0.2", 80, ""));
        awaitEvent("upsert V1Service shop/after");
        assertEquals(1, sink.count(WEB));
    }

    /**
     * etcd restored from a backup, the API server restarted with it: the watches ask for a resourceVersion it
     * has not reached and it answers "too large resource version", in either form. client-go's reflector then
     * lists with resourceVersion "" (reflector.go, isTooLargeResourceVersionError); so does the source, and
     * the objects the restore lost and the one deleted since go, while the restored state loses nothing.
     */
    @ParameterizedTest
    @EnumSource(TooLargeAnswer.class)
    void tooLargeResourceVersionRelistsTheRestoredState(TooLargeAnswer answer) {
        api.tooLargeAnswer(answer);
        api.apply(service("web", "10.0.0.1", 80, ""));
        api.apply(service("doomed", "10.0.0.2", 80, ""));
        api.apply(slice("web-1", "web", 8080, "10.1.0.1"));
        startWatching();
        FakeApiServer.Backup backup = api.backup();
        // Each watch holds a version the restored server will not have reached when they ask again.
        api.apply(service("late", "10.0.0.3", 80, ""));
        api.apply(service("later", "10.0.0.4", 80, ""));
        api.apply(slice("web-1", "web", 8080, "10.1.0.2"));
        awaitFlushed(WEB_SLICE, 2);
        awaitFlushed("upsert V1Service shop/later");

        api.restore(backup);
        api.dropWatches();
        api.delete(Resource.SERVICES, "shop", "doomed");

        awaitFlushed("delete V1Service shop/doomed");
        awaitFlushed("delete V1Service shop/late");
        awaitFlushed("delete V1Service shop/later");
        awaitFlushed(WEB_SLICE, 3);
        assertEquals("10.1.0.1", ((V1EndpointSlice) sink.last(WEB_SLICE)).getEndpoints().get(0).getAddresses().get(0));
        assertFalse(sink.events().contains("delete V1Service shop/web"), sink.events().toString());
        assertTrue(api.requests().stream().filter(r -> r.startsWith("LIST /api/v1/services"))
                .noneMatch(r -> r.contains("resourceVersion=")), "listed from etcd: " + api.requests());
        assertEquals(2, source.relistsServerBehind(), "the Services and the EndpointSlices relisted once each");

        // Watching again from the restored server's version: later changes arrive, once.
        awaitWatching();
        api.apply(service("after", "10.0.0.5", 80, ""));
        awaitFlushed("upsert V1Service shop/after");
        assertEquals(1, sink.count("upsert V1Service shop/after"));
        assertEquals(1, sink.count("synced"));
        assertEquals(List.of(), problems);
    }

    /**
     * Serves and watches shop/web, takes a backup, then adds {@code lost} Services (the restore will lose them)
     * and waits until they are delivered.
     */
    private FakeApiServer.Backup backupThenLose(String... lost) {
        api.apply(service("web", "10.0.0.1", 80, ""));
        startWatching();
        FakeApiServer.Backup backup = api.backup();
        for (int i = 0; i < lost.length; i++) {
            api.apply(service(lost[i], "10.0.1." + (i + 1), 80, ""));
            awaitFlushed("upsert V1Service shop/" + lost[i]);
        }
        return backup;
    }

    /** The watch survives the restore (an API server in front of the restored etcd): its bookmark goes back. */
    @Test
    void bookmarkBehindTheVersionHeldRelists() {
        FakeApiServer.Backup backup = backupThenLose("late");
        long lists = api.count("LIST /api/v1/services");

        api.restore(backup);
        api.bookmark();

        awaitFlushed("delete V1Service shop/late");
        assertEquals(lists + 1, api.count("LIST /api/v1/services"), api.requests().toString());
        assertEquals(1, source.relistsServerBehind());
        assertFalse(sink.events().contains("delete V1Service shop/web"), sink.events().toString());
    }

    /**
     * A list older than the version held (a 410 after the restore): the server reuses versions the lost
     * history had, so an object rewritten since with a version already delivered is delivered again.
     */
    @Test
    void listBehindTheVersionHeldRedeliversEveryObject() {
        FakeApiServer.Backup backup = backupThenLose("reused", "late");
        long lists = api.count("LIST /api/v1/services");

        api.restore(backup);
        api.holdLists(Resource.SERVICES);
        api.expireWatches();
        Conditions.await("the relist to be asked for", () -> api.count("LIST /api/v1/services") > lists);
        // Gets the resourceVersion the lost "reused" had, with other content, before the list is served.
        api.apply(service("reused", "10.0.0.9", 80, ""));
        api.releaseLists(Resource.SERVICES);

        awaitFlushed("delete V1Service shop/late");
        awaitFlushed("upsert V1Service shop/reused", 2);
        assertEquals("10.0.0.9", ((V1Service) sink.last("upsert V1Service shop/reused")).getSpec().getClusterIP());
        assertEquals(2, sink.count(WEB), "every object re-delivered: " + sink.events());
        assertEquals(1, source.relistsServerBehind());
    }

    /**
     * An API server whose watch cache stays behind the list it serves from etcd answers every watch "too large"
     * (either form): the relists that follow back off like failures instead of looping.
     */
    @ParameterizedTest
    @EnumSource(TooLargeAnswer.class)
    void relistsOfAServerThatStaysBehindBackOff(TooLargeAnswer answer) {
        api.tooLargeAnswer(answer);
        api.apply(service("web", "10.0.0.1", 80, ""));
        Duration minBackoff = Duration.ofMillis(50);
        Duration maxBackoff = Duration.ofMillis(800);
        start(new WatchSettings(Duration.ofMinutes(5), minBackoff, maxBackoff, Duration.ofSeconds(5)));
        awaitFlushed("synced");
        awaitWatching();
        api.lagWatchCache(1);
        api.dropWatches();

        String watches = "WATCH /api/v1/services";
        int answered = 7;
        Conditions.await(answered + " watches answered too large", () -> api.count(watches) > answered);
        List<Long> times = api.receivedNanos(watches);
        // Jittered backoff pauses at least half the delay, which doubles from minBackoff to maxBackoff.
        long floorMillis = 0;
        for (long delay = minBackoff.toMillis(), i = 2; i < answered; i++, delay = Math.min(2 * delay, maxBackoff.toMillis())) {
            floorMillis += delay / 2;
        }
        long tookMillis = (times.get(answered) - times.get(2)) / 1_000_000;
        assertTrue(tookMillis >= floorMillis, "relists " + tookMillis + " ms apart in all, less than " + floorMillis);
        assertTrue(api.count("LIST /api/v1/services") >= answered - 1, "relisted: " + api.requests());

        // Caught up: watching again, and nothing was lost.
        api.lagWatchCache(0);
        api.apply(service("after", "10.0.0.5", 80, ""));
        awaitFlushed("upsert V1Service shop/after");
        assertFalse(sink.events().contains("delete V1Service shop/web"), sink.events().toString());
    }

    @Test
    void droppedWatchResumesFromItsResourceVersion() {
        api.apply(service("web", "10.0.0.1", 80, ""));
        start();
        awaitEvent("synced");
        awaitWatching();
        long lists = api.count("LIST");
        long watches = api.count("WATCH /api/v1/services");

        api.dropWatches();
        api.apply(service("after-drop", "10.0.0.2", 80, ""));
        awaitEvent("upsert V1Service shop/after-drop");
        assertTrue(api.count("WATCH /api/v1/services") > watches);
        assertEquals(lists, api.count("LIST"), "resumed without a relist: " + api.requests());
        assertEquals(1, sink.count(WEB));
    }

    @Test
    void pagedListStartsOverWhenItsContinueTokenExpires() {
        for (int i = 1; i <= 5; i++) {
            api.apply(service("svc-" + i, "10.0.0." + i, 80, ""));
        }
        api.maxPage(2);
        api.expireNextContinue();
        start();
        awaitEvent("synced");
        for (int i = 1; i <= 5; i++) {
            assertEquals(1, sink.count("upsert V1Service shop/svc-" + i), sink.events().toString());
        }
        // First page, the expired continue, then three pages from the start.
        assertEquals(5, api.count("LIST /api/v1/services"), api.requests().toString());
        assertEquals(List.of(), problems);
    }

    @Test
    void failedListsAreRetried() {
        api.apply(service("web", "10.0.0.1", 80, ""));
        api.failLists(Resource.SERVICES, 2);
        start(new WatchSettings(Duration.ofMinutes(5), Duration.ofMillis(20), Duration.ofMillis(200),
                Duration.ofSeconds(5)));
        awaitEvent("synced");
        assertEquals(3, api.count("LIST /api/v1/services"));
        assertEquals(1, sink.count(WEB));
    }

    @Test
    void watchdogRestartsAQuietWatch() {
        api.apply(service("web", "10.0.0.1", 80, ""));
        start(WatchSettings.defaults().withQuietLimit(Duration.ofMillis(300)));
        awaitEvent("synced");
        awaitWatching();
        long lists = api.count("LIST");

        // The connection stays up but nothing arrives on it any more: only the watchdog can notice.
        api.stallWatches();
        api.apply(service("while-stalled", "10.0.0.2", 80, ""));
        awaitEvent("upsert V1Service shop/while-stalled");
        assertEquals(lists, api.count("LIST"), "restarted from its resourceVersion: " + api.requests());
    }

    @Test
    void bookmarksCountAsLife() {
        api.apply(service("web", "10.0.0.1", 80, ""));
        // Long beside the 100 ms pacing below, so a stalled test thread is not mistaken for a quiet watch.
        Duration quietLimit = Duration.ofMillis(1_500);
        start(WatchSettings.defaults().withQuietLimit(quietLimit));
        awaitEvent("synced");
        awaitWatching();
        long watches = api.count("WATCH /api/v1/services");
        // Pacing, not synchronisation: a bookmark every 100 ms for three quiet limits.
        for (int i = 0; i < 3 * quietLimit.toMillis() / 100; i++) {
            api.bookmark();
            LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
        }
        assertEquals(watches, api.count("WATCH /api/v1/services"), "no restart: " + api.requests());
    }

    @Test
    void objectWithUnknownFieldsIsProcessed() {
        String future = "\"futureField\": {\"nested\": [1, 2]}, \"trafficShaping\": \"fast\",";
        api.apply(service("web", "10.0.0.1", 80, future).replace("\"kind\": \"Service\",",
                "\"kind\": \"Service\", \"unknownTopLevel\": true,"));
        start();
        awaitEvent(WEB);
        awaitWatching();
        api.apply(slice("web-1", "web", 8080, "10.1.0.1").replace("\"conditions\": {\"ready\": true}",
                "\"conditions\": {\"ready\": true, \"quantum\": true}, \"newEndpointField\": 1"));
        awaitEvent(WEB_SLICE);
        V1Service web = (V1Service) sink.last(WEB);
        assertEquals("10.0.0.1", web.getSpec().getClusterIP());
        if (contentType() == ApiContentType.JSON) {
            // The scalar adapters survive the swap to lenient decoding: dates, int-or-string. (Protobuf decodes
            // only the fields Junction reads, which these are not.)
            assertEquals(2026, web.getMetadata().getCreationTimestamp().getYear());
            assertEquals(8080, web.getSpec().getPorts().get(0).getTargetPort().getIntValue());
        }
        assertEquals(List.of(), problems);
        assertAnsweredIn(contentType());
    }

    /**
     * Issue 14: an EndpointSlice endpoint 127.0.0.1:10249 made Junction's own /debug/routes reachable from a
     * remote client. kube-apiserver refuses loopback endpoints (ValidateEndpointIP); so does this source.
     */
    @Test
    void loopbackEndpointFromTheApiIsRefused() {
        api.apply(service("web", "10.0.0.1", 80, ""));
        api.apply(slice("web-1", "web", 10249, "127.0.0.1"));
        api.apply(slice("web-2", "web", 8080, "10.1.0.1"));
        start();
        awaitEvent("synced");
        assertEquals(0, sink.count(WEB_SLICE));
        assertTrue(sink.events().contains("upsert V1EndpointSlice shop/web-2"), sink.events().toString());
        assertEquals(List.of("EndpointSlice shop/web-1: endpoints[0].addresses[0]: \"127.0.0.1\" may not be in the "
                + "loopback range (127.0.0.0/8, ::1/128); skipping it"), problems);
    }

    @Test
    void malformedObjectsAreReportedAndSkippedWhileOthersWork() {
        api.apply(service("web", "10.0.0.1", 80, ""));
        api.apply(service("bad-ip", "10.0.0.999", 80, ""));
        api.apply(service("no-ports", "10.0.0.2", 80, "").replaceAll("\"ports\": \\[.*?\\]}", "\"ports\": []}"));
        api.apply(service("wrong-type", "10.0.0.3", 80, "").replace("\"port\": 80", "\"port\": \"eighty\""));
        api.apply(slice("web-1", "web", 8080, "10.1.0.1"));
        start();
        awaitEvent("synced");
        awaitWatching();
        List<String> services = sink.events().stream().filter(e -> e.contains("V1Service")).toList();
        assertEquals(List.of(WEB), services);
        Conditions.await("three problems", () -> problems.size() == 3);
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("Service shop/bad-ip: spec.clusterIP: invalid IP")
                && p.endsWith("; skipping it")), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("Service shop/no-ports: spec.ports: must not be empty")),
                problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("Service shop/wrong-type: cannot decode")),
                problems.toString());

        // A valid slice turned invalid: reported, and its last good version stays in force.
        api.apply(slice("web-1", "web", 8080, "not-an-ip"));
        Conditions.await("the bad update reported", () -> problems.size() == 4);
        assertTrue(problems.get(3).startsWith("EndpointSlice shop/web-1: endpoints[0].addresses[0]: invalid IP"),
                problems.get(3));
        assertTrue(problems.get(3).endsWith("; keeping its last good version"), problems.get(3));
        api.apply(service("later", "10.0.0.5", 80, ""));
        awaitEvent("upsert V1Service shop/later");
        assertEquals(1, sink.count(WEB_SLICE));

        // Fixed: delivered again; deleted while bad: the last good version is deleted.
        api.apply(service("bad-ip", "10.0.0.9", 80, ""));
        awaitEvent("upsert V1Service shop/bad-ip");
        assertEquals(4, problems.size(), problems.toString());
    }

    /** One object that does not decode, arriving on the watch: one line naming it, and the watch goes on. */
    @Test
    void anUndecodableObjectOnTheWatchIsReportedAndTheWatchGoesOn() {
        startWatching();
        api.apply(service("wrong-type", "10.0.0.3", 80, "").replace("\"port\": 80", "\"port\": \"eighty\""));
        api.apply(service("web", "10.0.0.1", 80, ""));
        awaitFlushed(WEB);
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("Service shop/wrong-type: cannot decode")
                && problems.get(0).endsWith("; skipping it"), problems.get(0));
        assertEquals(3, api.openWatches(), "the watch stayed open");
    }

    @Test
    void syncedWaitsForBothLists() {
        api.apply(service("web", "10.0.0.1", 80, ""));
        api.apply(slice("web-1", "web", 8080, "10.1.0.1"));
        api.holdLists(Resource.ENDPOINT_SLICES);
        start();
        awaitEvent(WEB);
        Conditions.await("the slice list to be asked for", () -> api.count("LIST /apis/discovery.k8s.io") == 1);
        assertFalse(sink.events().contains("synced"), sink.events().toString());
        api.releaseLists(Resource.ENDPOINT_SLICES);
        awaitEvent("synced");
        List<String> events = sink.events();
        assertTrue(events.indexOf(WEB_SLICE) < events.indexOf("synced"), events.toString());
    }

    /** Every list and watch of the source was answered in {@code type}, none in the other. */
    private void assertAnsweredIn(ApiContentType type) {
        String protobuf = "application/vnd.kubernetes.protobuf";
        long protobufAnswers = api.answeredIn(protobuf) + api.answeredIn(protobuf + ";stream=watch");
        long jsonAnswers = api.answeredIn("application/json");
        assertTrue(type == ApiContentType.PROTOBUF ? protobufAnswers >= 6 && jsonAnswers == 0
                : jsonAnswers >= 6 && protobufAnswers == 0, protobufAnswers + " protobuf, " + jsonAnswers + " JSON");
    }

    /**
     * Issue 18: a server that answers JSON to a request for protobuf (kube-apiserver does, for resources it cannot
     * encode in protobuf) is followed, by the answer's Content-Type, as client-go's negotiator follows it.
     */
    @Test
    void aServerAnsweringJsonToAProtobufRequestIsFollowed() {
        api.protobuf(FakeApiServer.ProtobufSupport.JSON_ONLY);
        listsAndWatches();
        assertAnsweredIn(ApiContentType.JSON);
    }

    /** The source lists a Service and its slice, then a Service created while it watches, without a problem. */
    private void listsAndWatches() {
        api.apply(service("web", "10.0.0.1", 80, ""));
        api.apply(slice("web-1", "web", 8080, "10.1.0.1"));
        startWatching();
        api.apply(service("later", "10.0.0.5", 80, ""));
        awaitFlushed("upsert V1Service shop/later");
        assertEquals(1, sink.count(WEB_SLICE));
        assertEquals(List.of(), problems);
    }

    /**
     * Issue 18: a server that refuses protobuf outright (406 Not Acceptable) is asked for JSON alone from then on,
     * as client-go's REST client falls back to its second content type; with JSON forced, protobuf is never asked.
     */
    @Test
    void aServerRefusingProtobufIsAskedForJsonFromThenOn() {
        api.protobuf(FakeApiServer.ProtobufSupport.NOT_ACCEPTABLE);
        listsAndWatches();
        long refused = api.count("LIST ") + api.count("WATCH ") - 6;
        // At most one 406 per resource (the three start together), and none once JSON is asked for.
        assertTrue(refused <= (contentType() == ApiContentType.PROTOBUF ? 3 : 0), refused + " requests refused");
        assertAnsweredIn(ApiContentType.JSON);
    }

    /**
     * Issue 18, kube-proxy's --kube-api-qps / --kube-api-burst (client-go's token bucket): a watch cache that
     * answers every watch 410 Gone makes every watcher relist at once, again and again; the lists are paced to
     * the burst plus qps per second, all resources together, and counted.
     */
    @Test
    void aRelistStormIsPacedByTheListRateLimit() {
        double qps = 10;
        int burst = 3;
        api.apply(service("web", "10.0.0.1", 80, ""));
        start(WatchSettings.defaults(), new ClientSettings(contentType(), qps, burst));
        awaitFlushed("synced");
        awaitWatching();
        api.everyWatchGone(true);
        api.expireWatches();
        Conditions.await("a dozen lists", () -> api.count("LIST ") >= 12);
        api.everyWatchGone(false);
        List<Long> lists = api.receivedNanos("LIST ");
        for (int i = 0; i < lists.size(); i++) {
            for (int j = i + 1; j < lists.size(); j++) {
                double allowed = burst + qps * (lists.get(j) - lists.get(i)) / 1e9;
                // One list of slack: the server stamps a request a little after the client took its token.
                assertTrue(j - i <= allowed + 1, "lists " + i + " to " + j + " within "
                        + (lists.get(j) - lists.get(i)) / 1e6 + " ms: more than the burst and rate allow");
            }
        }
        assertTrue(source.listsThrottled() > 0, "no list waited");
    }
}
