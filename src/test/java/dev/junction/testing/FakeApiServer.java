package dev.junction.testing;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * A real HTTP/1.1 server that stands in for the Kubernetes API server: list and
 * {@code ?watch=true} (chunked, one JSON event per line) for Services, EndpointSlices and Nodes,
 * with resourceVersions, label selectors ({@code key}, {@code !key}, {@code key=value}), field
 * selectors ({@code metadata.name}, {@code metadata.namespace}), bookmarks, and {@code 410 Gone}
 * for a watch from before the last compaction. Tests drive it: apply and delete objects, compact,
 * expire, stall or abruptly drop open watches, hold list responses, page lists, expire continue tokens,
 * go away and come back, and be restored from a backup (its resourceVersion goes backwards: a watch from a
 * version it has not reached is answered as kube-apiserver does, 504 with cause {@code ResourceVersionTooLarge}).
 * It speaks JSON or, to a request whose Accept header asks for {@code application/vnd.kubernetes.protobuf} first,
 * protobuf as kube-apiserver does ({@link KubeProtobuf}): lists, single objects and error Statuses as magic +
 * runtime.Unknown, watches as {@code ;stream=watch} length-prefixed WatchEvents; or, by {@link #protobuf}, JSON
 * instead (a custom resource) or 406 (a proxy that refuses protobuf).
 * Thread-safe; every change is written to open watches before the call returns.
 */
public final class FakeApiServer implements AutoCloseable {

    /** The resources served, all namespaces at once. */
    public enum Resource {
        SERVICES("/api/v1/services", "Service", "v1"),
        ENDPOINT_SLICES("/apis/discovery.k8s.io/v1/endpointslices", "EndpointSlice", "discovery.k8s.io/v1"),
        NODES("/api/v1/nodes", "Node", "v1");

        final String path;
        final String kind;
        final String apiVersion;

        Resource(String path, String kind, String apiVersion) {
            this.path = path;
            this.kind = kind;
            this.apiVersion = apiVersion;
        }

        static Resource ofKind(String kind) {
            for (Resource r : values()) {
                if (r.kind.equals(kind)) {
                    return r;
                }
            }
            throw new IllegalArgumentException("unsupported kind " + kind);
        }
    }

    /** One change: the object before (null when added) and after (null when deleted). */
    private record Change(long version, Resource resource, JsonObject before, JsonObject after) {
    }

    /** The stored state at one moment, as an etcd snapshot holds it: see {@link #backup()}. */
    public static final class Backup {
        private final Map<Resource, Map<String, JsonObject>> objects = new HashMap<>();
        private final long version;
        private final long compactedBelow;

        private Backup(Map<Resource, Map<String, JsonObject>> objects, long version, long compactedBelow) {
            objects.forEach((resource, byKey) -> {
                Map<String, JsonObject> copy = new TreeMap<>();
                byKey.forEach((key, object) -> copy.put(key, object.deepCopy()));
                this.objects.put(resource, copy);
            });
            this.version = version;
            this.compactedBelow = compactedBelow;
        }
    }

    /** How a watch from a resourceVersion the server has not reached is answered. */
    public enum TooLargeAnswer {
        /** The watch request fails: HTTP 504 with the Status (the cacher when it gives up waiting). */
        HTTP_STATUS,
        /** The watch request succeeds and its stream carries one ERROR event with the Status, then ends. */
        ERROR_EVENT
    }

    /** Whether protobuf is served when a request asks for it. */
    public enum ProtobufSupport {
        /** As kube-apiserver serves its built-in resources: protobuf when the Accept header names it first. */
        SERVED,
        /** As kube-apiserver serves a custom resource: JSON when the Accept header allows it, else 406. */
        JSON_ONLY,
        /** As a proxy in front that refuses protobuf: 406 Not Acceptable to any request naming it. */
        NOT_ACCEPTABLE
    }

    private enum Encoding { JSON, PROTOBUF }

    private static final String PROTOBUF = "application/vnd.kubernetes.protobuf";
    private static final String JSON = "application/json";

        /** A request as received, when (System.nanoTime()), and the bearer token it carried (null: none). */
    private record Received(long nanos, String text, String token) {
    }

    private final int port;
    private volatile ServerSocket server;
    private final Object lock = new Object();
    private final Map<Resource, Map<String, JsonObject>> objects = new HashMap<>();
    private final List<Change> history = new ArrayList<>();
    private final List<Watch> watches = new ArrayList<>();
    private final Map<Resource, CountDownLatch> heldLists = new ConcurrentHashMap<>();
    private final List<Received> requests = new CopyOnWriteArrayList<>();
    private final List<Socket> connections = new CopyOnWriteArrayList<>();
    private final Map<Resource, Integer> failingLists = new ConcurrentHashMap<>();
    /** Pages served and not yet finished, by continue token: the rest of a consistent snapshot. */
    private final Map<String, List<JsonObject>> pages = new ConcurrentHashMap<>();
    private final Map<String, String> pageVersions = new ConcurrentHashMap<>();
    private volatile int maxPage = Integer.MAX_VALUE;
    private volatile boolean expireContinue;
    private volatile TooLargeAnswer tooLargeAnswer = TooLargeAnswer.HTTP_STATUS;
    private volatile ProtobufSupport protobuf = ProtobufSupport.SERVED;
    private volatile boolean everyWatchGone;
    private final Map<String, LongAdder> answered = new ConcurrentHashMap<>();
    /** The bearer tokens accepted; null accepts any request, with or without one. */
    private volatile Set<String> acceptedTokens;
    /** Resources whose list or watch the caller's RBAC lacks, by verb: answered 403. */
    private final Set<String> forbidden = ConcurrentHashMap.newKeySet();
    private int tokens;
    private long version = 100;
    private long compactedBelow;
    /** How many versions the watch cache lags behind the store; lists are served from the store. */
    private long watchCacheLag;

    private FakeApiServer() throws IOException {
        for (Resource r : Resource.values()) {
            objects.put(r, new TreeMap<>());
        }
        listen(0);
        port = server.getLocalPort();
    }

    private void listen(int onPort) throws IOException {
        ServerSocket socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), onPort), 50);
        server = socket;
        Thread acceptor = new Thread(() -> acceptLoop(socket), "fake-apiserver");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The server goes away: new connections are refused and every open one is reset. State is kept. */
    public void outage() throws IOException {
        server.close();
        synchronized (lock) {
            for (Watch w : List.copyOf(watches)) {
                w.reset();
            }
        }
        for (Socket s : connections) {
            s.close();
        }
    }

    /** Back after {@link #outage()}, on the same port, with every change made meanwhile. */
    public void recover() throws IOException {
        listen(port);
    }

    public static FakeApiServer start() {
        try {
            return new FakeApiServer();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** Adds or replaces an object given as JSON (kind, metadata.name and metadata.namespace decide where). */
    public void apply(String json) {
        JsonObject object = JsonParser.parseString(json).getAsJsonObject();
        Resource resource = Resource.ofKind(object.get("kind").getAsString());
        synchronized (lock) {
            object.getAsJsonObject("metadata").addProperty("resourceVersion", String.valueOf(++version));
            JsonObject before = objects.get(resource).put(key(object), object);
            publish(new Change(version, resource, before, object));
        }
    }

    public void delete(Resource resource, String namespace, String name) {
        synchronized (lock) {
            JsonObject before = objects.get(resource).remove(namespace == null ? name : namespace + '/' + name);
            if (before == null) {
                throw new IllegalArgumentException("no " + resource.kind + " " + namespace + "/" + name);
            }
            JsonObject gone = before.deepCopy();
            gone.getAsJsonObject("metadata").addProperty("resourceVersion", String.valueOf(++version));
            publish(new Change(version, resource, gone, null));
        }
    }

    /** Sends a BOOKMARK at the current resourceVersion to every open watch that asked for bookmarks. */
    public void bookmark() {
        synchronized (lock) {
            for (Watch w : List.copyOf(watches)) {
                if (w.bookmarks) {
                    JsonObject marker = new JsonObject();
                    marker.addProperty("kind", w.resource.kind);
                    marker.addProperty("apiVersion", w.resource.apiVersion);
                    JsonObject metadata = new JsonObject();
                    metadata.addProperty("resourceVersion", String.valueOf(version));
                    marker.add("metadata", metadata);
                    w.send("BOOKMARK", marker);
                }
            }
        }
    }

    /** The stored objects and resourceVersion now, to {@link #restore} later. */
    public Backup backup() {
        synchronized (lock) {
            return new Backup(objects, version, compactedBelow);
        }
    }

    /**
     * etcd restored from {@code backup}: the objects and the resourceVersion are what they were then, and
     * every change made since is lost, history included. Open watches stay open (drop them to play an API
     * server restarted with its etcd); later changes continue from the backup's resourceVersion.
     */
    public void restore(Backup backup) {
        synchronized (lock) {
            backup.objects.forEach((resource, byKey) -> {
                Map<String, JsonObject> restored = objects.get(resource);
                restored.clear();
                byKey.forEach((key, object) -> restored.put(key, object.deepCopy()));
            });
            history.removeIf(c -> c.version > backup.version);
            version = backup.version;
            compactedBelow = backup.compactedBelow;
        }
    }

    /** How requests asking for protobuf are answered from now on. */
    public void protobuf(ProtobufSupport support) {
        protobuf = support;
    }

    /** How later watches from a resourceVersion the server has not reached are answered. */
    public void tooLargeAnswer(TooLargeAnswer answer) {
        tooLargeAnswer = answer;
    }

    /**
     * The watch cache stays {@code versions} behind the store, as a lagging API server's does: a watch from
     * a list's resourceVersion (served from the store) is then answered "too large resource version".
     */
    public void lagWatchCache(long versions) {
        synchronized (lock) {
            watchCacheLag = versions;
        }
    }

    /** Forgets history: a watch from any resourceVersion older than the current one gets 410 Gone. */
    public void compact() {
        synchronized (lock) {
            history.clear();
            compactedBelow = version;
        }
    }

    /**
     * From now on (while {@code gone}) every watch is answered at once with an ERROR event carrying a 410 Gone
     * Status, as by a watch cache compacted past every version a client holds: each client relists at once, a
     * relist storm.
     */
    public void everyWatchGone(boolean gone) {
        everyWatchGone = gone;
    }

    /** Ends every open watch with an ERROR event carrying a 410 Gone Status, as after a compaction. */
    public void expireWatches() {
        synchronized (lock) {
            for (Watch w : List.copyOf(watches)) {
                w.sendGone();
                w.end();
            }
        }
    }

    /** Resets every open watch connection at once (RST, no final chunk), as a dying server or network does. */
    public void dropWatches() {
        synchronized (lock) {
            for (Watch w : List.copyOf(watches)) {
                w.reset();
            }
        }
    }

    /** Open watches stop receiving anything while staying connected; watches opened later are normal. */
    public void stallWatches() {
        synchronized (lock) {
            for (Watch w : watches) {
                w.stalled = true;
            }
        }
    }

    /** List requests for {@code resource} wait until {@link #releaseLists}. */
    public void holdLists(Resource resource) {
        heldLists.put(resource, new CountDownLatch(1));
    }

    public void releaseLists(Resource resource) {
        CountDownLatch latch = heldLists.remove(resource);
        if (latch != null) {
            latch.countDown();
        }
    }

    /** Lists return at most {@code n} items per page (with a continue token), whatever limit the client asks. */
    public void maxPage(int n) {
        maxPage = n;
    }

    /** The next list request with a continue token gets 410 Gone, as when the token has expired. */
    public void expireNextContinue() {
        expireContinue = true;
    }

    /** The next {@code n} list requests for {@code resource} fail with 500 Internal Server Error. */
    public void failLists(Resource resource, int n) {
        failingLists.put(resource, n);
    }

    /**
     * From now on only requests carrying one of {@code tokens} as bearer token are served; others are answered
     * 401 with kube-apiserver's Status (the authenticator rejects the request before anything else). Open
     * watches stay open, as kube-apiserver checks the token when a request starts.
     */
    public void acceptTokens(String... tokens) {
        acceptedTokens = Set.of(tokens);
    }

    /**
     * The caller may no longer {@code verb} ("list" or "watch") {@code resource}: such requests are answered 403
     * with the Status kube-apiserver's RBAC authorizer writes.
     */
    public void forbid(Resource resource, String verb) {
        forbidden.add(verb + ' ' + resource.name());
    }

    /** The bearer token each request received so far carried, in order (null for none). */
    public List<String> tokens() {
        return requests.stream().map(Received::token).toList();
    }

    /** Requests received so far, as {@code LIST|WATCH path?decoded-query}. */
    public List<String> requests() {
        return requests.stream().map(Received::text).toList();
    }

    public long count(String prefix) {
        return requests.stream().filter(r -> r.text.startsWith(prefix)).count();
    }

    /** When each request starting with {@code prefix} was received, in System.nanoTime(), in order. */
    public List<Long> receivedNanos(String prefix) {
        return requests.stream().filter(r -> r.text.startsWith(prefix)).map(Received::nanos).toList();
    }

    /**
     * Answers given so far in {@code mediaType} ({@code application/json}, {@code application/vnd.kubernetes.protobuf}
     * for lists and errors, {@code ...;stream=watch} for watches).
     */
    public long answeredIn(String mediaType) {
        LongAdder n = answered.get(mediaType);
        return n == null ? 0 : n.sum();
    }

    public int openWatches() {
        synchronized (lock) {
            return watches.size();
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        heldLists.values().forEach(CountDownLatch::countDown);
        for (Socket s : connections) {
            s.close();
        }
    }

    private void publish(Change change) {
        history.add(change);
        for (Watch w : List.copyOf(watches)) {
            w.deliver(change);
        }
    }

    private void acceptLoop(ServerSocket socket) {
        while (!socket.isClosed()) {
            try {
                Socket s = socket.accept();
                connections.add(s);
                Thread t = new Thread(() -> serve(s), "fake-apiserver-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            String requestLine = readLine(in);
            if (requestLine == null) {
                return;
            }
            String header;
            String token = null;
            String accept = null;
            while ((header = readLine(in)) != null && !header.isEmpty()) {
                int colon = header.indexOf(':');
                String name = colon > 0 ? header.substring(0, colon).trim() : "";
                if (name.equalsIgnoreCase("Authorization")) {
                    String value = header.substring(colon + 1).trim();
                    token = value.regionMatches(true, 0, "Bearer ", 0, 7) ? value.substring(7).trim() : value;
                } else if (name.equalsIgnoreCase("Accept")) {
                    accept = header.substring(colon + 1).trim();
                }
            }
            String target = requestLine.split(" ")[1];
            int q = target.indexOf('?');
            String path = q < 0 ? target : target.substring(0, q);
            Map<String, String> query = parseQuery(q < 0 ? "" : target.substring(q + 1));
            Resource resource = null;
            for (Resource r : Resource.values()) {
                if (r.path.equals(path)) {
                    resource = r;
                }
            }
            boolean watch = "true".equals(query.get("watch"));
            requests.add(new Received(System.nanoTime(),
                    (watch ? "WATCH " : "LIST ") + path + (q < 0 ? "" : "?" + decode(target.substring(q + 1))), token));
            Answer out = new Answer(socket.getOutputStream(), negotiate(accept), answered);
            Set<String> tokens = acceptedTokens;
            String verb = watch ? "watch" : "list";
            if (out.encoding == null) {
                out.respond(406, status(406, "NotAcceptable", "only the following media types are accepted: "
                        + "application/json, application/yaml"));
            } else if (tokens != null && (token == null || !tokens.contains(token))) {
                // kube-apiserver's authentication filter: no detail on why, by design.
                out.respond(401, status(401, "Unauthorized", "Unauthorized"));
            } else if (resource != null && forbidden.contains(verb + ' ' + resource.name())) {
                out.respond(403, forbiddenStatus(resource, verb));
            } else if (resource == null) {
                out.respond(404, status(404, "NotFound", "no such resource " + path));
            } else if (watch) {
                watch(socket, in, out, resource, query);
            } else {
                list(out, resource, query);
            }
        } catch (IOException e) {
            // The client went away or the test reset the connection.
        } finally {
            connections.remove(socket);
        }
    }

    private void list(Answer out, Resource resource, Map<String, String> query) throws IOException {
        CountDownLatch hold = heldLists.get(resource);
        if (hold != null) {
            try {
                if (!hold.await(30, TimeUnit.SECONDS)) {
                    throw new IOException("list held too long");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (failingLists.merge(resource, -1, Integer::sum) >= 0) {
            out.respond(500, status(500, "InternalError", "injected failure"));
            return;
        }
        String token = query.get("continue");
        List<JsonObject> snapshot;
        String listVersion;
        if (token != null && !token.isEmpty()) {
            if (expireContinue) {
                expireContinue = false;
                out.respond(410, status(410, "Expired", "the provided continue parameter is too old"));
                return;
            }
            snapshot = pages.remove(token);
            listVersion = pageVersions.remove(token);
            if (snapshot == null) {
                out.respond(400, status(400, "BadRequest", "unknown continue token"));
                return;
            }
        } else {
            snapshot = new ArrayList<>();
            synchronized (lock) {
                listVersion = String.valueOf(version);
                for (JsonObject o : objects.get(resource).values()) {
                    if (matches(o, query)) {
                        // Items of a real list carry no kind or apiVersion.
                        JsonObject item = o.deepCopy();
                        item.remove("kind");
                        item.remove("apiVersion");
                        snapshot.add(item);
                    }
                }
            }
        }
        String limit = query.get("limit");
        int page = Math.min(maxPage, limit == null ? Integer.MAX_VALUE : Integer.parseInt(limit));
        JsonObject list = new JsonObject();
        list.addProperty("kind", resource.kind + "List");
        list.addProperty("apiVersion", resource.apiVersion);
        JsonObject metadata = new JsonObject();
        metadata.addProperty("resourceVersion", listVersion);
        if (snapshot.size() > page) {
            String next;
            synchronized (lock) {
                next = "page-" + (++tokens);
            }
            pages.put(next, new ArrayList<>(snapshot.subList(page, snapshot.size())));
            pageVersions.put(next, listVersion);
            metadata.addProperty("continue", next);
            snapshot = snapshot.subList(0, page);
        }
        list.add("metadata", metadata);
        JsonArray items = new JsonArray();
        snapshot.forEach(items::add);
        list.add("items", items);
        out.respond(200, resource.apiVersion, resource.kind + "List", list);
    }

    private void watch(Socket socket, InputStream in, Answer out, Resource resource, Map<String, String> query)
            throws IOException {
        answered.computeIfAbsent(out.encoding == Encoding.PROTOBUF ? PROTOBUF + ";stream=watch" : JSON,
                t -> new LongAdder()).increment();
        Watch w = new Watch(socket, resource, query, out.encoding);
        synchronized (lock) {
            String from = query.get("resourceVersion");
            long since = from == null || from.isEmpty() || from.equals("0") ? version : Long.parseLong(from);
            long cached = version - watchCacheLag;
            if (since > cached) {
                JsonObject tooLarge = tooLarge(since, cached);
                if (tooLargeAnswer == TooLargeAnswer.HTTP_STATUS) {
                    out.respond(504, tooLarge);
                } else {
                    w.writeHeaders();
                    w.send("ERROR", tooLarge);
                    w.end();
                }
                return;
            }
            w.writeHeaders();
            if (since < compactedBelow || everyWatchGone) {
                w.sendGone();
                w.end();
                return;
            }
            for (Change c : history) {
                if (c.resource == resource && c.version > since) {
                    w.deliver(c);
                }
            }
            watches.add(w);
        }
        try {
            // Until the client closes (or the test resets it); a watch request has no body to read.
            while (in.read() >= 0) {
                // Discard.
            }
        } finally {
            synchronized (lock) {
                watches.remove(w);
            }
        }
    }

    /** An open watch connection. Guarded by {@code lock}. */
    private final class Watch {
        final Socket socket;
        final Resource resource;
        final Map<String, String> query;
        final boolean bookmarks;
        final Encoding encoding;
        boolean stalled;

        Watch(Socket socket, Resource resource, Map<String, String> query, Encoding encoding) {
            this.socket = socket;
            this.encoding = encoding;
            this.resource = resource;
            this.query = query;
            this.bookmarks = "true".equals(query.get("allowWatchBookmarks"));
        }

        void writeHeaders() throws IOException {
            OutputStream out = socket.getOutputStream();
            // kube-apiserver names the stream's framing in the media type of a protobuf watch.
            String type = encoding == Encoding.PROTOBUF ? PROTOBUF + ";stream=watch" : JSON;
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: " + type + "\r\nTransfer-Encoding: chunked\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        void deliver(Change c) {
            if (c.resource != resource) {
                return;
            }
            boolean was = c.before != null && matches(c.before, query);
            boolean is = c.after != null && matches(c.after, query);
            if (is) {
                send(was ? "MODIFIED" : "ADDED", c.after);
            } else if (was) {
                JsonObject gone = c.before.deepCopy();
                gone.getAsJsonObject("metadata").addProperty("resourceVersion", String.valueOf(c.version));
                send("DELETED", gone);
            }
        }

        /** A 410 Gone Status as an ERROR event, as the watch cache sends it for a compacted resourceVersion. */
        void sendGone() {
            send("ERROR", status(410, "Expired", "too old resource version"));
        }

        /**
         * One event in one chunk: a JSON line, or a length-prefixed protobuf WatchEvent whose object carries the
         * resource's type (a Status for ERROR), as kube-apiserver's watch encoder writes them.
         */
        void send(String type, JsonObject object) {
            if (stalled) {
                return;
            }
            byte[] data;
            if (encoding == Encoding.PROTOBUF) {
                boolean status = type.equals("ERROR");
                data = KubeProtobuf.watchFrame(type, status ? "v1" : resource.apiVersion,
                        status ? "Status" : resource.kind, object);
            } else {
                data = (event(type, object) + "\n").getBytes(StandardCharsets.UTF_8);
            }
            try {
                OutputStream out = socket.getOutputStream();
                out.write((Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(data);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (IOException e) {
                watches.remove(this);
            }
        }

        void end() {
            try {
                OutputStream out = socket.getOutputStream();
                out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                socket.close();
            } catch (IOException e) {
                // Already gone.
            }
            watches.remove(this);
        }

        void reset() {
            try {
                socket.setSoLinger(true, 0);
                socket.close();
            } catch (IOException e) {
                // Already gone.
            }
            watches.remove(this);
        }
    }

    private static String event(String type, JsonObject object) {
        JsonObject e = new JsonObject();
        e.addProperty("type", type);
        e.add("object", object);
        return e.toString();
    }


    /**
     * What kube-apiserver's RBAC authorizer answers (responsewriters.Forbidden): the message names the user,
     * verb, resource and group, and {@code details} the resource.
     */
    private static JsonObject forbiddenStatus(Resource resource, String verb) {
        String name = resource.path.substring(resource.path.lastIndexOf('/') + 1);
        int slash = resource.apiVersion.indexOf('/');
        String group = slash < 0 ? "" : resource.apiVersion.substring(0, slash);
        JsonObject s = status(403, "Forbidden", name + " is forbidden: User"
                + " \"system:serviceaccount:kube-system:junction\" cannot " + verb + " resource \"" + name + "\" in API group \"" + group + "\" at the cluster scope");
        JsonObject details = new JsonObject();
        details.addProperty("group", group);
        details.addProperty("kind", name);
        s.add("details", details);
        return s;
    }

    /** kube-apiserver's answer to a watch from a version it has not reached (NewTooLargeResourceVersionError). */
    private static JsonObject tooLarge(long asked, long current) {
        JsonObject s = status(504, "Timeout", "Timeout: Too large resource version: " + asked + ", current: " + current);
        JsonObject cause = new JsonObject();
        cause.addProperty("reason", "ResourceVersionTooLarge");
        cause.addProperty("message", "Too large resource version");
        JsonArray causes = new JsonArray();
        causes.add(cause);
        JsonObject details = new JsonObject();
        details.add("causes", causes);
        details.addProperty("retryAfterSeconds", 1);
        s.add("details", details);
        return s;
    }

    private static JsonObject status(int code, String reason, String message) {
        JsonObject s = new JsonObject();
        s.addProperty("kind", "Status");
        s.addProperty("apiVersion", "v1");
        s.add("metadata", new JsonObject());
        s.addProperty("status", "Failure");
        s.addProperty("message", message);
        s.addProperty("reason", reason);
        s.addProperty("code", code);
        return s;
    }

    private static boolean matches(JsonObject object, Map<String, String> query) {
        JsonObject metadata = object.getAsJsonObject("metadata");
        JsonObject labels = metadata.has("labels") ? metadata.getAsJsonObject("labels") : new JsonObject();
        for (String term : split(query.get("labelSelector"))) {
            if (term.startsWith("!")) {
                if (labels.has(term.substring(1))) {
                    return false;
                }
            } else if (term.contains("=")) {
                String[] kv = term.split("=", 2);
                JsonElement value = labels.get(kv[0]);
                if (value == null || !value.getAsString().equals(kv[1])) {
                    return false;
                }
            } else if (!labels.has(term)) {
                return false;
            }
        }
        for (String term : split(query.get("fieldSelector"))) {
            String[] kv = term.split("=", 2);
            String field = kv[0].substring("metadata.".length());
            JsonElement value = metadata.get(field);
            if (value == null || !value.getAsString().equals(kv[1])) {
                return false;
            }
        }
        return true;
    }

    private static List<String> split(String selector) {
        return selector == null || selector.isEmpty() ? List.of() : List.of(selector.split(","));
    }

    private static String key(JsonObject object) {
        JsonObject metadata = object.getAsJsonObject("metadata");
        String name = metadata.get("name").getAsString();
        return metadata.has("namespace") ? metadata.get("namespace").getAsString() + '/' + name : name;
    }

    /**
     * The media type kube-apiserver answers a request with (its negotiation, runtime.NegotiateOutputMediaType): the
     * first of the Accept header's types it serves, JSON without one; null when it serves none of them (406).
     * Protobuf only as far as {@link #protobuf} lets it.
     */
    private Encoding negotiate(String accept) {
        if (accept == null || accept.isBlank()) {
            return Encoding.JSON;
        }
        for (String range : accept.split(",")) {
            String type = range.split(";")[0].trim();
            if (type.equals(PROTOBUF)) {
                if (protobuf == ProtobufSupport.SERVED) {
                    return Encoding.PROTOBUF;
                }
                if (protobuf == ProtobufSupport.NOT_ACCEPTABLE) {
                    return null;
                }
            } else if (type.equals(JSON) || type.equals("*/*") || type.equals("application/*")) {
                return Encoding.JSON;
            }
        }
        return null;
    }

    /** How a connection's answer is written: in the encoding negotiated for its request. */
    private record Answer(OutputStream out, Encoding encoding, Map<String, LongAdder> answered) {

        /** A Status, encoded as kube-apiserver encodes errors (responsewriters.ErrorNegotiated): as the answer. */
        void respond(int code, JsonObject status) throws IOException {
            respond(code, "v1", "Status", status);
        }

        void respond(int code, String apiVersion, String kind, JsonObject body) throws IOException {
            Encoding as = encoding == null ? Encoding.JSON : encoding;
            byte[] data = as == Encoding.PROTOBUF ? KubeProtobuf.encode(apiVersion, kind, body)
                    : body.toString().getBytes(StandardCharsets.UTF_8);
            String type = as == Encoding.PROTOBUF ? PROTOBUF : JSON;
            answered.computeIfAbsent(type, t -> new LongAdder()).increment();
            out.write(("HTTP/1.1 " + code + (code == 200 ? " OK" : " Error") + "\r\nContent-Type: "
                    + type + "\r\nContent-Length: " + data.length
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(data);
            out.flush();
        }
    }

    private static Map<String, String> parseQuery(String query) {
        Map<String, String> params = new HashMap<>();
        for (String pair : query.split("&")) {
            if (!pair.isEmpty()) {
                String[] kv = pair.split("=", 2);
                params.put(decode(kv[0]), kv.length > 1 ? decode(kv[1]) : "");
            }
        }
        return params;
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (b != '\r') {
                line.write(b);
            }
        }
        if (b < 0 && line.size() == 0) {
            return null;
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }
}
