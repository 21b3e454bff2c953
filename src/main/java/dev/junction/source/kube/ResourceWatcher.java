package dev.junction.source.kube;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.annotations.SerializedName;
import com.google.gson.reflect.TypeToken;
import dev.junction.source.ObjectSink;
import dev.junction.source.ObjectValidator;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.JSON;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import okhttp3.Call;
import okhttp3.Response;
import okio.Buffer;
import okio.BufferedSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One resource's list/watch loop, in the manner of client-go's reflector: list (paged), deliver the
 * difference to what was delivered before, watch from the list's resourceVersion, and on
 * {@code 410 Gone} list again. A dropped or failed connection is retried with capped exponential
 * backoff from the last resourceVersion seen; a watch quiet beyond {@link WatchSettings#quietLimit()}
 * is cancelled by {@link #checkQuiet(long)} and restarted.
 *
 * <p>An API server behind the resourceVersion held (etcd restored from a backup) is relisted from its
 * current state, every object re-delivered and the ones it lacks deleted: when it answers the watch
 * "too large resource version" (as client-go's reflector does), or when a bookmark or a list carries a
 * resourceVersion lower than the one held. resourceVersions are opaque to clients, so the last two compare
 * them only when both are decimal integers, which kube-apiserver's are (etcd revisions; KEP-5504 makes that
 * comparison the API's contract); others are never compared. Such relists back off like failures until
 * the watch delivers again, so a server that stays behind cannot make them a busy loop.
 *
 * <p>Answers are decoded by their Content-Type, protobuf ({@link KubeProto}) or JSON, whatever was asked for
 * ({@link ContentNegotiation}); lists wait their turn under the source's {@link ListRateLimiter}.
 * Every object is decoded on its own (a bad item does not fail its list) and validated; an invalid
 * object is reported in one line and skipped, and when a valid version of it was delivered before,
 * that version stays in force. An object with the resourceVersion already delivered is not re-delivered
 * (the API server gives every write a new one), so a relist of an unchanged cluster delivers nothing.
 *
 * <p>Threading: the loop and all state below run on one daemon thread, which also applies what it
 * delivered when it flushes the sink; {@link #checkQuiet(long)} and
 * {@link #close()} may be called from any thread.
 */
final class ResourceWatcher<T extends KubernetesObject> implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ResourceWatcher.class);
    private static final int STATUS_GONE = 410;
    /** A watch event frame longer than this is refused rather than allocated: kube-apiserver's objects are < 3 MB. */
    private static final int MAX_FRAME_BYTES = 64 << 20;
    /** Watch events up to this size are read into one array per watch; EndpointSlices are a few KB at most. */
    private static final int REUSED_FRAME_BYTES = 64 << 10;
    /** API servers end a watch after timeoutSeconds; spread like client-go so watches do not restart together. */
    private static final int MIN_WATCH_SECONDS = 300;

    /** Builds the HTTP calls of one resource: the generated API adds path, selectors and credentials. */
    interface Calls {
        Call list(String continueToken) throws ApiException;

        Call watch(String resourceVersion, int timeoutSeconds) throws ApiException;
    }

    private enum WatchEnd { GONE, BEHIND, ENDED, QUIET, REFUSED_PROTOBUF }

    /**
     * Told when the API server refuses this watcher's credentials (401 after the token file was re-read, or no
     * token to send) and when it accepts them again. Called on the watcher's thread.
     */
    interface Credentials {
        void refused(String kind, String reason);

        void accepted(String kind);
    }

    private static final int STATUS_UNAUTHORIZED = 401;

    private final String kind;
    private final Class<T> type;
    /** {@code WatchLine<T>} for this resource: a watch event decoded straight into the typed object. */
    private final java.lang.reflect.Type lineType;
    /** {@code ListPage<T>}: a list page decoded straight into typed items. */
    private final java.lang.reflect.Type pageType;
    private final KubeProto.Decoder<T> decoder;
    private final Calls calls;
    private final ObjectSink sink;
    private final ObjectValidator validator;
    private final Consumer<String> reporter;
    private final Runnable onFirstList;
    private final Credentials credentials;
    private final WatchSettings settings;
    private final ContentNegotiation negotiation;
    private final ListRateLimiter limiter;
    private final Thread thread;
    /** close() notifies it to cut a backoff pause short. */
    private final Object wakeUp = new Object();

    // Loop-thread state.
    /**
     * What the sink holds, by namespace/name: the resourceVersion of the last valid version delivered
     * ("" when it had none). Versions, not the objects: the sink keeps what it needs, and holding every
     * object here too would keep each change alive until the object changes again, which at 1,000
     * EndpointSlice changes per second is what filled the old generation.
     */
    private final Map<String, String> delivered = new HashMap<>();
    /** Invalid objects already reported, by key, with the resourceVersion reported. */
    private final Map<String, String> rejected = new HashMap<>();
    /** The last resourceVersion seen; null after the server was found behind it, until the next list. */
    private String resourceVersion;
    private boolean failing;
    /** The credentials were refused and no request has been accepted since. */
    private boolean refused;
    /** The server was found behind the resourceVersion held and the watch has not delivered since. */
    private boolean behind;
    private long backoffMillis;
    private boolean listedOnce;
    private long lastThrottleLogNanos;
    /** The server answered JSON to a request for protobuf, and that was logged. */
    private boolean toldJson;

    // Shared with the watchdog and close().
    private volatile boolean closed;
    private volatile Call current;
    private volatile boolean watching;
    private volatile long lastActivityNanos;
    private volatile boolean quietCancelled;
    /** Written only by the loop thread. */
    private volatile long relistsServerBehind;

    ResourceWatcher(String kind, Class<T> type, Calls calls, ObjectSink sink, ObjectValidator validator,
            Consumer<String> reporter, Runnable onFirstList, Credentials credentials, WatchSettings settings,
            ContentNegotiation negotiation, ListRateLimiter limiter) {
        this.kind = Objects.requireNonNull(kind, "kind");
        this.type = Objects.requireNonNull(type, "type");
        this.lineType = TypeToken.getParameterized(WatchLine.class, type).getType();
        this.pageType = TypeToken.getParameterized(ListPage.class, type).getType();
        this.decoder = KubeProto.decoder(type);
        // Gson builds (and caches) a type's reflective adapter on first use; built here, the cost does not
        // land on the first change the watch delivers.
        JSON.getGson().getAdapter(TypeToken.get(lineType));
        this.calls = Objects.requireNonNull(calls, "calls");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.validator = Objects.requireNonNull(validator, "validator");
        this.reporter = Objects.requireNonNull(reporter, "reporter");
        this.onFirstList = Objects.requireNonNull(onFirstList, "onFirstList");
        this.credentials = Objects.requireNonNull(credentials, "credentials");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.negotiation = Objects.requireNonNull(negotiation, "negotiation");
        this.limiter = Objects.requireNonNull(limiter, "limiter");
        this.backoffMillis = settings.minBackoff().toMillis();
        this.thread = new Thread(this::run, "junction-kube-" + kind.toLowerCase(Locale.ROOT));
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Cancels the current watch when it has been quiet beyond the limit; called by the watchdog. */
    void checkQuiet(long nowNanos) {
        Call call = current;
        if (watching && call != null && nowNanos - lastActivityNanos > settings.quietLimit().toNanos()) {
            quietCancelled = true;
            call.cancel();
        }
    }

    /** Relists so far because the API server was behind the resourceVersion held; read from any thread. */
    long relistsServerBehind() {
        return relistsServerBehind;
    }

    /** Stops the loop and waits for it; no delivery follows. Idempotent. */
    @Override
    public void close() {
        closed = true;
        Call call = current;
        if (call != null) {
            call.cancel();
        }
        synchronized (wakeUp) {
            wakeUp.notifyAll();
        }
        if (thread != Thread.currentThread()) {
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        boolean needList = true;
        while (!closed) {
            try {
                if (needList) {
                    list();
                    needList = false;
                    recovered();
                    if (!listedOnce) {
                        listedOnce = true;
                        onFirstList.run();
                    }
                }
                long started = System.nanoTime();
                WatchEnd end = watch();
                if (end == WatchEnd.GONE) {
                    log.info("{}: resourceVersion {} is too old (410 Gone); listing again", kind, resourceVersion);
                    needList = true;
                } else if (end == WatchEnd.BEHIND) {
                    needList = true;
                    pause();
                } else if (end == WatchEnd.REFUSED_PROTOBUF) {
                    continue;
                } else if (end == WatchEnd.QUIET) {
                    log.warn("{}: watch quiet for more than {}; restarting it", kind, settings.quietLimit());
                } else if (System.nanoTime() - started < TimeUnit.SECONDS.toNanos(1)) {
                    // A server that ends every watch at once must not turn this loop into a busy one.
                    pause();
                }
            } catch (IOException | ApiException | ApiStatusException | JsonParseException | ProtoException e) {
                if (closed) {
                    return;
                }
                failed(describe(e));
                if (!refused && refusesCredentials(e)) {
                    refused = true;
                    credentials.refused(kind, describe(e));
                }
                pause();
            } catch (Exception e) {
                // A bug (or a sink that throws, or a header client-java refuses to build) must not end the loop:
                // the proxy keeps serving and retries. The stack trace once, as the first line of the episode.
                if (closed) {
                    return;
                }
                if (!failing) {
                    failing = true;
                    log.error("{}: list/watch failed; retrying with backoff up to {} (serving the last applied state)",
                            kind, settings.maxBackoff(), e);
                } else {
                    log.debug("{}: still failing: {}", kind, e.toString());
                }
                pause();
            } catch (Error e) {
                // Out of memory, a stack overflow: what this thread holds can no longer be trusted. Stopping
                // and saying so fails health, so the kubelet restarts the proxy instead of it serving
                // frozen routes while /healthz stays 200.
                String reason = kind + " watch stopped: " + e + "; no further changes will be applied";
                log.error("{}", reason, e);
                sink.failed(reason);
                return;
            }
        }
    }

    /**
     * Waits for the rate limit's turn to list ({@code --kube-api-qps}); close() cuts the wait short. One line when
     * a list waited over a second, as client-go logs its long client-side throttling waits, at most every 10 s.
     */
    private void awaitListTurn() {
        long waitNanos = limiter.reserveNanos();
        if (waitNanos <= 0) {
            return;
        }
        if (waitNanos > TimeUnit.SECONDS.toNanos(1)) {
            long now = System.nanoTime();
            if (now - lastThrottleLogNanos > TimeUnit.SECONDS.toNanos(10) || lastThrottleLogNanos == 0) {
                lastThrottleLogNanos = now;
                log.info("{}: waiting {} ms to list, for the client-side rate limit (--kube-api-qps, --kube-api-burst)",
                        kind, TimeUnit.NANOSECONDS.toMillis(waitNanos));
            }
        }
        sleep(waitNanos);
    }

    private void list() throws IOException, ApiException, ApiStatusException, ProtoException {
        awaitListTurn();
        if (closed) {
            throw new InterruptedIOException("closed while waiting to list");
        }
        // Each page is decoded and delivered as it arrives, so no page outlives it (100k endpoints held
        // as JSON trees until the last page cost the first sync its time in GC); what was delivered
        // before and is not listed now is deleted once the last page is in.
        Set<String> listed = new HashSet<>();
        String continueToken = null;
        String listVersion = null;
        while (true) {
            Call call = negotiation.accepting(calls.list(continueToken));
            call.timeout().timeout(settings.listTimeout().toMillis(), TimeUnit.MILLISECONDS);
            track(call);
            try (Response response = call.execute()) {
                if (response.code() == STATUS_GONE && continueToken != null) {
                    // The continue token expired between pages: start the list over. Pages already
                    // delivered stay delivered; the new list decides what remains.
                    listed.clear();
                    continueToken = null;
                    continue;
                }
                if (negotiation.refused(response, kind)) {
                    continue;
                }
                if (!response.isSuccessful()) {
                    throw ApiStatusException.of(response);
                }
                KubeProto.ListMeta metadata = KubeProto.isProtobuf(response.header("Content-Type"))
                        ? listProtobuf(response.body().bytes(), listed) : listJson(response.body().string(), listed);
                listVersion = metadata.resourceVersion();
                continueToken = metadata.continueToken();
                if (continueToken != null && continueToken.isEmpty()) {
                    continueToken = null;
                }
            } finally {
                current = null;
            }
            // A page at a time, so the decoded objects of one page are recorded before the next is read.
            sink.flush();
            if (continueToken == null) {
                break;
            }
        }
        for (String key : new ArrayList<>(delivered.keySet())) {
            if (!listed.contains(key)) {
                // Built before the key is dropped: if it failed, the next list would still delete it.
                T gone = named(key);
                delivered.remove(key);
                sink.delete(gone);
            }
        }
        sink.flush();
        rejected.keySet().retainAll(listed);
        resourceVersion = listVersion;
        log.debug("{}: listed {} objects at resourceVersion {}", kind, listed.size(), listVersion);
    }

    /** Delivers the items of one protobuf page, adding their keys to {@code listed}; returns its metadata. */
    private KubeProto.ListMeta listProtobuf(byte[] body, Set<String> listed) throws ProtoException {
        ProtoReader page = KubeProto.unwrap(new ProtoReader(body, 0, body.length));
        KubeProto.ListMeta metadata = KubeProto.listMeta(page);
        behindHeld("a list", metadata.resourceVersion());
        for (ProtoReader item : KubeProto.items(page)) {
            listed.add(upsert(item));
        }
        return metadata;
    }

    /** Delivers the items of one JSON page, adding their keys to {@code listed}; returns its metadata. */
    private KubeProto.ListMeta listJson(String body, Set<String> listed) {
        answeredJson();
        ListPage<T> page = typed(body);
        if (page != null) {
            behindHeld("a list", page.metadata.resourceVersion);
            for (T item : page.items) {
                String key = key(item);
                listed.add(key);
                accept(key, item, item.getMetadata().getResourceVersion());
            }
            return new KubeProto.ListMeta(page.metadata.resourceVersion, page.metadata.continueToken);
        }
        JsonObject list = JsonParser.parseString(body).getAsJsonObject();
        JsonObject metadata = object(list, "metadata");
        String listVersion = string(metadata, "resourceVersion");
        behindHeld("a list", listVersion);
        JsonElement items = list.get("items");
        if (items != null && items.isJsonArray()) {
            for (JsonElement item : items.getAsJsonArray()) {
                if (item.isJsonObject()) {
                    listed.add(key(item.getAsJsonObject()));
                    upsert(item.getAsJsonObject());
                }
            }
        }
        return new KubeProto.ListMeta(listVersion, string(metadata, "continue"));
    }

    private WatchEnd watch() throws IOException, ApiException, ApiStatusException, ProtoException {
        int timeoutSeconds = ThreadLocalRandom.current().nextInt(MIN_WATCH_SECONDS, 2 * MIN_WATCH_SECONDS);
        Call call = negotiation.accepting(calls.watch(resourceVersion, timeoutSeconds));
        quietCancelled = false;
        lastActivityNanos = System.nanoTime();
        track(call);
        watching = true;
        try (Response response = call.execute()) {
            if (response.code() == STATUS_GONE) {
                return WatchEnd.GONE;
            }
            if (negotiation.refused(response, kind)) {
                return WatchEnd.REFUSED_PROTOBUF;
            }
            if (!response.isSuccessful()) {
                ApiStatusException failure = ApiStatusException.of(response);
                if (failure.tooLargeResourceVersion()) {
                    serverBehind(failure.getMessage());
                    return WatchEnd.BEHIND;
                }
                throw failure;
            }
            recovered();
            BufferedSource source = response.body().source();
            if (KubeProto.isProtobuf(response.header("Content-Type"))) {
                return watchFrames(source);
            }
            answeredJson();
            String line;
            while ((line = source.readUtf8Line()) != null) {
                lastActivityNanos = System.nanoTime();
                WatchEnd end = line.isBlank() ? null : handleLine(line);
                if (end != null) {
                    return end;
                }
                if (source.getBuffer().indexOf((byte) '\n') < 0) {
                    // No further event read yet: apply what this burst delivered before waiting for more.
                    sink.flush();
                }
            }
            return WatchEnd.ENDED;
        } catch (IOException e) {
            if (quietCancelled && !closed) {
                return WatchEnd.QUIET;
            }
            throw e;
        } finally {
            watching = false;
            current = null;
        }
    }

    /**
     * Reads a protobuf watch ({@code ;stream=watch}): each event a frame of a 4-byte big-endian length and a
     * {@code metav1.WatchEvent}, as kube-apiserver's LengthDelimitedFramer writes them.
     */
    private WatchEnd watchFrames(BufferedSource source) throws IOException, ApiStatusException, ProtoException {
        // One array for the frames of this watch, not one per event: decoding copies out what it keeps.
        byte[] reused = new byte[REUSED_FRAME_BYTES];
        while (!source.exhausted()) {
            long length = source.readInt() & 0xFFFF_FFFFL;
            if (length > MAX_FRAME_BYTES) {
                throw new ProtoException("a watch event of " + length + " bytes is beyond the limit of "
                        + MAX_FRAME_BYTES);
            }
            byte[] frame = length <= reused.length ? reused : new byte[(int) length];
            readFully(source, frame, (int) length);
            lastActivityNanos = System.nanoTime();
            WatchEnd end = handleFrame(frame, (int) length);
            if (end != null) {
                return end;
            }
            if (!frameBuffered(source.getBuffer())) {
                // No further event read yet: apply what this burst delivered before waiting for more.
                sink.flush();
            }
        }
        return WatchEnd.ENDED;
    }

    /** The next {@code length} bytes of {@code source} into the start of {@code frame}, as readByteArray reads them. */
    private static void readFully(BufferedSource source, byte[] frame, int length) throws IOException {
        source.require(length);
        for (int read = 0; read < length; ) {
            read += source.read(frame, read, length - read);
        }
    }

    /** True when {@code buffer} holds a whole frame, its length prefix included. */
    private static boolean frameBuffered(Buffer buffer) {
        if (buffer.size() < 4) {
            return false;
        }
        long length = (buffer.getByte(0) & 0xFFL) << 24 | (buffer.getByte(1) & 0xFF) << 16
                | (buffer.getByte(2) & 0xFF) << 8 | buffer.getByte(3) & 0xFF;
        return buffer.size() >= 4 + length;
    }

    /**
     * Applies one protobuf watch event; an object that does not decode is reported by the name its metadata
     * gives, as far as that decodes. Returns how the watch ends, or null when it goes on.
     */
    private WatchEnd handleFrame(byte[] frame, int length) throws ApiStatusException, ProtoException {
        KubeProto.WatchEvent event = KubeProto.watchEvent(new ProtoReader(frame, 0, length));
        if ("ERROR".equals(event.type())) {
            return errorEvent(KubeProto.status(event.object()));
        }
        T object;
        try {
            object = decoded(event.object());
        } catch (ProtoException e) {
            V1ObjectMeta identity = KubeProto.identity(event.object());
            String key = key(identity.getNamespace(), identity.getName());
            switch (event.type()) {
                case "ADDED", "MODIFIED" -> reject(key, identity.getResourceVersion(), "cannot decode: " + e.getMessage());
                case "DELETED" -> delete(key, null);
                default -> log.debug("{}: ignoring a watch event of type {} that does not decode", kind, event.type());
            }
            delivering(identity.getResourceVersion());
            return null;
        }
        return applyEvent(event.type(), object);
    }

    /** One object from its protobuf message; one without metadata does not decode. */
    private T decoded(ProtoReader message) throws ProtoException {
        T object = decoder.decode(message);
        if (object.getMetadata() == null) {
            throw new ProtoException("no metadata");
        }
        return object;
    }

    /** Decodes and delivers one protobuf list item, or reports it; returns its key. */
    private String upsert(ProtoReader item) {
        T object;
        try {
            object = decoded(item);
        } catch (ProtoException e) {
            V1ObjectMeta identity = KubeProto.identity(item);
            String key = key(identity.getNamespace(), identity.getName());
            reject(key, identity.getResourceVersion(), "cannot decode: " + e.getMessage());
            return key;
        }
        String key = key(object);
        accept(key, object, object.getMetadata().getResourceVersion());
        return key;
    }

    /** Makes {@code call} the one close() and the watchdog cancel; a close that came first cancels it at once. */
    private void track(Call call) {
        current = call;
        if (closed) {
            call.cancel();
        }
    }

    /** One watch event as it is on the wire; {@code object} decodes straight into the resource's model. */
    private static final class WatchLine<T> {
        String type;
        T object;
    }

    /** A list page as it is on the wire; {@code items} decode straight into the resource's model. */
    private static final class ListPage<T> {
        PageMetadata metadata;
        List<T> items;
    }

    private static final class PageMetadata {
        String resourceVersion;
        @SerializedName("continue")
        String continueToken;
    }

    /**
     * The page decoded straight into typed items, without a JSON tree (which cost the first sync of 100k
     * endpoints both time and garbage); null when any part of it does not decode or an item has no
     * metadata: the page then goes item by item through the tree, which reports the bad ones precisely.
     */
    private ListPage<T> typed(String body) {
        ListPage<T> page;
        try {
            page = JSON.getGson().fromJson(body, pageType);
        } catch (RuntimeException e) {
            return null;
        }
        if (page == null || page.metadata == null) {
            return null;
        }
        if (page.items == null) {
            page.items = List.of();
        }
        for (T item : page.items) {
            if (item == null || item.getMetadata() == null) {
                return null;
            }
        }
        return page;
    }

    /**
     * Applies one watch line. The common case decodes it straight into the typed object, without the JSON
     * tree that would double the garbage of every change; ERROR events and objects that do not decode go
     * through the tree, which names the problem precisely. Returns how the watch ends, or null when it goes on.
     */
    private WatchEnd handleLine(String line) throws ApiStatusException {
        if (!line.contains("\"ERROR\"")) {
            WatchLine<T> event = null;
            try {
                event = JSON.getGson().fromJson(line, lineType);
            } catch (RuntimeException e) {
                // Reported below, precisely, from the tree.
            }
            if (event != null && event.type != null && event.object != null
                    && event.object.getMetadata() != null) {
                return applyEvent(event.type, event.object);
            }
        }
        return handleEvent(JsonParser.parseString(line).getAsJsonObject());
    }

    /** Applies one decoded watch event; returns how the watch ends, or null when it goes on. */
    private WatchEnd applyEvent(String type, T object) {
        String version = object.getMetadata().getResourceVersion();
        if ("BOOKMARK".equals(type) && behindHeld("a bookmark", version)) {
            return WatchEnd.BEHIND;
        }
        switch (type) {
            case "ADDED", "MODIFIED" -> accept(key(object), object, version);
            case "DELETED" -> delete(key(object), object);
            case "BOOKMARK" -> { }
            default -> log.debug("{}: ignoring watch event of type {}", kind, type);
        }
        delivering(version);
        return null;
    }

    /** A watch ERROR event carrying {@code status}: how the watch ends, or the failure it is. */
    private WatchEnd errorEvent(JsonObject status) throws ApiStatusException {
        JsonElement code = status.get("code");
        int statusCode = code != null && code.isJsonPrimitive() ? code.getAsInt() : 0;
        if (statusCode == STATUS_GONE) {
            return WatchEnd.GONE;
        }
        ApiStatusException failure = ApiStatusException.of(statusCode, status);
        if (failure.tooLargeResourceVersion()) {
            serverBehind("watch ERROR event: " + failure.getMessage());
            return WatchEnd.BEHIND;
        }
        throw failure;
    }

    /** Applies one watch event; returns how the watch ends, or null when it goes on. */
    private WatchEnd handleEvent(JsonObject event) throws ApiStatusException {
        String eventType = string(event, "type");
        JsonObject object = object(event, "object");
        if ("ERROR".equals(eventType)) {
            return errorEvent(object);
        }
        String version = string(object(object, "metadata"), "resourceVersion");
        if (eventType == null) {
            throw new JsonParseException("watch event without a type");
        }
        if (eventType.equals("BOOKMARK") && behindHeld("a bookmark", version)) {
            return WatchEnd.BEHIND;
        }
        switch (eventType) {
            case "ADDED", "MODIFIED" -> upsert(object);
            case "DELETED" -> delete(key(object), null);
            case "BOOKMARK" -> { }
            default -> log.debug("{}: ignoring watch event of type {}", kind, eventType);
        }
        delivering(version);
        return null;
    }

    /** The watch delivered an event or bookmark at {@code version}: it is the one held now. */
    private void delivering(String version) {
        if (version != null) {
            resourceVersion = version;
        }
        if (behind) {
            // The server serves the watch again: relists after it are no longer in a row.
            behind = false;
            backoffMillis = settings.minBackoff().toMillis();
        }
    }

    /**
     * True, and the server found behind, when {@code what} (a bookmark, or a list page before its items are
     * delivered) carries a resourceVersion below the one held.
     */
    private boolean behindHeld(String what, String version) {
        if (!olderThanHeld(version)) {
            return false;
        }
        serverBehind(what + " at resourceVersion " + version);
        return true;
    }

    /**
     * True when {@code version} is below the resourceVersion held, both decimal integers. kube-apiserver's are
     * etcd revisions, which only grow: lower means the server lost history (etcd restored from a backup).
     * Compared as digit strings (longer is larger), so no size limit applies; anything else is not compared.
     */
    private boolean olderThanHeld(String version) {
        String held = resourceVersion;
        if (!decimal(version) || !decimal(held)) {
            return false;
        }
        return version.length() != held.length() ? version.length() < held.length() : version.compareTo(held) < 0;
    }

    /** Digits without a leading zero (or "0"): the form of a kube-apiserver resourceVersion. */
    private static boolean decimal(String version) {
        if (version == null || version.isEmpty() || version.length() > 1 && version.charAt(0) == '0') {
            return false;
        }
        for (int i = 0; i < version.length(); i++) {
            char c = version.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    /**
     * The server is behind the resourceVersion held: what was delivered may include objects it no longer has
     * and versions it will reuse for other content, so the next list re-delivers every object and deletes the
     * ones it lacks, and nothing is resumed from the resourceVersion held. One line per episode.
     */
    private void serverBehind(String reason) {
        if (!behind) {
            log.warn("{}: the API server is behind resourceVersion {} held ({}), as after etcd was restored from a "
                    + "backup; listing its current state and replacing every object held", kind, resourceVersion,
                    reason);
        } else {
            log.debug("{}: API server still behind: {}", kind, reason);
        }
        behind = true;
        resourceVersion = null;
        delivered.replaceAll((key, version) -> "");
        relistsServerBehind++;
    }

    private void upsert(JsonObject json) {
        String key = key(json);
        String version = string(object(json, "metadata"), "resourceVersion");
        T object;
        try {
            object = JSON.getGson().fromJson(json, type);
        } catch (RuntimeException e) {
            // Gson reports a wrong type (a string where a number belongs) with several exception types.
            reject(key, version, "cannot decode: " + e.getMessage());
            return;
        }
        accept(key, object, version);
    }

    /** Validates a decoded object and delivers it unless it equals what was delivered. */
    private void accept(String key, T object, String version) {
        List<String> problems = validator.validate(object);
        if (!problems.isEmpty()) {
            reject(key, version, String.join("; ", problems));
            return;
        }
        rejected.remove(key);
        String previous = delivered.put(key, Objects.requireNonNullElse(version, ""));
        if (version == null || !version.equals(previous)) {
            sink.upsert(object);
        }
    }

    /** Removes {@code key}; {@code object} is the deleted object when the event decoded, else null. */
    private void delete(String key, T object) {
        rejected.remove(key);
        if (delivered.containsKey(key)) {
            T gone = object != null ? object : named(key);
            delivered.remove(key);
            sink.delete(gone);
        }
    }

    /** An object carrying only the namespace and name of {@code key}: all a sink reads from a deletion. */
    private T named(String key) {
        int slash = key.indexOf('/');
        JsonObject metadata = new JsonObject();
        if (slash >= 0) {
            metadata.addProperty("namespace", key.substring(0, slash));
        }
        metadata.addProperty("name", key.substring(slash + 1));
        JsonObject json = new JsonObject();
        json.add("metadata", metadata);
        return JSON.getGson().fromJson(json, type);
    }

    private void reject(String key, String resourceVersion, String reason) {
        String version = String.valueOf(resourceVersion);
        if (version.equals(rejected.put(key, version))) {
            return;
        }
        String consequence = delivered.containsKey(key) ? "keeping its last good version" : "skipping it";
        reporter.accept(kind + ' ' + key + ": " + reason + "; " + consequence);
    }

    /** Called for every JSON answer: says once when protobuf was asked for and JSON came instead. */
    private void answeredJson() {
        if (!toldJson && negotiation.asksProtobuf()) {
            toldJson = true;
            log.info("{}: the API server answers JSON to a request for protobuf; decoding JSON", kind);
        }
    }

    private void failed(String reason) {
        if (!failing) {
            failing = true;
            log.warn("{}: {}; retrying with backoff up to {} (serving the last applied state)", kind, reason,
                    settings.maxBackoff());
        } else {
            log.debug("{}: still failing: {}", kind, reason);
        }
    }

    private void recovered() {
        if (!behind) {
            backoffMillis = settings.minBackoff().toMillis();
        }
        if (refused) {
            refused = false;
            credentials.accepted(kind);
        }
        if (failing) {
            failing = false;
            log.info("{}: API server reachable again; watching from resourceVersion {}", kind, resourceVersion);
        }
    }

    private void pause() {
        long jittered = backoffMillis / 2 + ThreadLocalRandom.current().nextLong(backoffMillis / 2 + 1);
        backoffMillis = Math.min(backoffMillis * 2, settings.maxBackoff().toMillis());
        sleep(TimeUnit.MILLISECONDS.toNanos(jittered));
    }

    /** Waits {@code nanos}, or until close(). */
    private void sleep(long nanos) {
        long deadline = System.nanoTime() + nanos;
        synchronized (wakeUp) {
            long left;
            while (!closed && (left = deadline - System.nanoTime()) > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(wakeUp, left);
                } catch (InterruptedException e) {
                    // Nobody but a JVM shutdown interrupts this thread (close() notifies): stop.
                    log.warn("{}: interrupted; no further changes will be applied", kind);
                    closed = true;
                    return;
                }
            }
        }
    }

    private static String key(KubernetesObject object) {
        String namespace = object.getMetadata().getNamespace();
        String name = object.getMetadata().getName();
        return key(namespace, name);
    }

    private static String key(JsonObject json) {
        JsonObject metadata = object(json, "metadata");
        return key(string(metadata, "namespace"), string(metadata, "name"));
    }

    private static String key(String namespace, String name) {
        if (name == null || name.isEmpty()) {
            name = "(unnamed)";
        }
        return namespace == null || namespace.isEmpty() ? name : namespace + '/' + name;
    }

    private static JsonObject object(JsonObject parent, String field) {
        JsonElement e = parent == null ? null : parent.get(field);
        return e != null && e.isJsonObject() ? e.getAsJsonObject() : new JsonObject();
    }

    private static String string(JsonObject parent, String field) {
        JsonElement e = parent.get(field);
        return e != null && e.isJsonPrimitive() ? e.getAsString() : null;
    }

    /** The server does not know who this is: a 401 (after the token file was re-read), or no token to send. */
    private static boolean refusesCredentials(Exception e) {
        return e instanceof ApiStatusException status && status.code() == STATUS_UNAUTHORIZED
                || e instanceof TokenFileAuth.Unreadable;
    }

    private static String describe(Exception e) {
        if (e instanceof InterruptedIOException && e.getMessage() != null && e.getMessage().contains("timeout")) {
            return "API server timed out";
        }
        if (e instanceof ApiStatusException || e instanceof TokenFileAuth.Unreadable) {
            return e.getMessage();
        }
        if (e instanceof ProtoException) {
            return "cannot decode the API server's protobuf: " + e.getMessage();
        }
        String type = e.getClass().getSimpleName();
        return "API server unreachable: " + (e.getMessage() == null ? type : type + ": " + e.getMessage());
    }
}
