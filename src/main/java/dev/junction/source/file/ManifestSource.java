package dev.junction.source.file;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;
import static java.nio.file.StandardWatchEventKinds.OVERFLOW;

import dev.junction.source.ObjectSink;
import dev.junction.source.ObjectValidator;
import dev.junction.source.ServiceProxyLabels;
import io.kubernetes.client.common.KubernetesObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code file} source: every {@code *.yaml}, {@code *.yml} and {@code *.json} file of one
 * directory (not recursive, dotfiles ignored) holds ordinary Kubernetes manifests — v1 Service,
 * discovery.k8s.io/v1 EndpointSlice, v1 Node. The directory is loaded once by {@link #start()} and
 * then watched; each change is delivered to the {@link ObjectSink} as upserts and deletes. Services and
 * EndpointSlices that kube-proxy's label selector leaves out ({@link ServiceProxyLabels}) are left out here
 * too, as if the file did not define them: adding such a label deletes the object.
 *
 * <p>A file is all or nothing: while it is invalid (unreadable, larger than {@link #MAX_FILE_BYTES}, bad
 * YAML, a wrong-typed field, unsupported kind, a validation problem) one error line names it and its last
 * good objects stay in force; a file is read only when its content changed since it was last read, so a
 * rescan after an event overflow neither re-parses nor re-reports the unchanged ones. Each file whose
 * new content is loaded gets one info line with its objects and what changed. Objects are
 * identified by kind, namespace and name; an object unchanged since the last delivery is not
 * re-delivered. When two files define the same object the file loaded last wins, and the object
 * lives on as long as either file defines it. Delivered objects are also the source's record of
 * what it delivered, so the sink must not modify them.
 *
 * <p>Threading: {@link #start()} delivers the initial state on the caller's thread; afterwards all
 * delivery, error reporting and state below run on the daemon thread {@code junction-manifests}.
 * {@link #close()} returns only after that thread has stopped, so no delivery follows it. Should that
 * thread die (an {@link Error}, a bug), or the directory go away, the source logs why and reports
 * {@link ObjectSink#failed}: it never stops silently.
 */
public final class ManifestSource implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ManifestSource.class);
    /** Editors, {@code cp} and rename-over-write change a file in several steps; reload once they are done. */
    private static final long QUIET_MILLIS = 100;
    /** A directory that never goes quiet is still reloaded this often. */
    private static final long MAX_SETTLE_MILLIS = 1_000;
    /**
     * Larger files are refused unread. Twice a ConfigMap's limit (1 MiB) and above any real manifest set
     * (18,900 Services fit, loaded in 5 s on a busy two-core node), while the worst file this size, one 2 MiB
     * word that SnakeYAML scans in quadratic time, takes 3-4 s there rather than minutes.
     */
    static final int MAX_FILE_BYTES = 2 << 20;

    private final Path dir;
    private final ObjectSink sink;
    private final Consumer<String> errorReporter;
    private final long quietMillis;
    /** Manifests describe one host, where backends may listen on loopback: no API server judged them. */
    private final ManifestReader reader = new ManifestReader(ObjectValidator.allowingLoopbackEndpoints());

    // Confined to the start() caller until the watcher thread starts, then to the watcher thread.
    /** Last good objects of each file (by file name), in document order. */
    private final Map<String, Map<ObjectKey, KubernetesObject>> filesObjects = new HashMap<>();
    /** The file whose definition of an object is the one delivered. */
    private final Map<ObjectKey, String> owners = new HashMap<>();
    /** What the sink currently holds, to skip re-delivering unchanged objects. */
    private final Map<ObjectKey, KubernetesObject> delivered = new HashMap<>();
    /** What each file held when last handled (its content's digest, or its size and time when too large). */
    private final Map<String, String> versions = new HashMap<>();

    private boolean started;
    /** Set by close() under the lock; the watcher reads it without (close() holds the lock while joining it). */
    private volatile boolean closed;
    private WatchService watchService;
    private Thread watcher;

    /** A source whose errors (one line per invalid file) are logged at ERROR. */
    public ManifestSource(Path dir, ObjectSink sink) {
        this(dir, sink, line -> LOG.error("{}", line));
    }

    /**
     * A source that hands each error line to {@code errorReporter} instead of logging it; the
     * reporter is called on the thread that delivers (see the class comment).
     */
    public ManifestSource(Path dir, ObjectSink sink, Consumer<String> errorReporter) {
        this(dir, sink, errorReporter, QUIET_MILLIS);
    }

    /**
     * For tests: a wider quiet window lets a test's multi-step edit be seen as one even when its thread
     * stalls between steps for longer than the production window.
     */
    ManifestSource(Path dir, ObjectSink sink, Consumer<String> errorReporter, long quietMillis) {
        this.dir = Objects.requireNonNull(dir, "dir");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.errorReporter = Objects.requireNonNull(errorReporter, "errorReporter");
        this.quietMillis = quietMillis;
    }

    /**
     * Loads every manifest file, calls {@link ObjectSink#synced()} once and flushes (the sink applies the
     * initial state before this returns), then starts watching.
     * Invalid files are reported and skipped; they do not fail the start.
     *
     * @throws UncheckedIOException when the directory cannot be watched or listed
     * @throws IllegalStateException when already started or closed
     */
    public synchronized void start() {
        if (started || closed) {
            throw new IllegalStateException(closed ? "closed" : "already started");
        }
        started = true;
        try {
            // Watch before the first listing so that a change made during the load is not missed.
            watchService = dir.getFileSystem().newWatchService();
            dir.register(watchService, ENTRY_CREATE, ENTRY_DELETE, ENTRY_MODIFY);
            rescan();
        } catch (IOException e) {
            closeWatchService();
            throw new UncheckedIOException("manifest directory " + dir + ": " + describe(e), e);
        }
        sink.synced();
        sink.flush();
        watcher = new Thread(this::watch, "junction-manifests");
        watcher.setDaemon(true);
        watcher.start();
    }

    /** Stops watching and waits for the watcher thread; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeWatchService();
        if (watcher != null && watcher != Thread.currentThread()) {
            try {
                watcher.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Runs on the watcher thread until the watch service is closed. Anything thrown past the per-file
     * isolation (an {@link OutOfMemoryError}, a bug) ends it, loudly: the state may be half-applied, so
     * the source reports itself failed rather than carry on.
     */
    private void watch() {
        try {
            watchChanges();
        } catch (Throwable e) {
            if (!closed) {
                stop("the watcher failed: " + e + "; no further changes will be applied");
                LOG.error("{}: the watcher failed", dir, e);
            }
        }
    }

    private void watchChanges() {
        try {
            while (true) {
                Changes changes = new Changes();
                changes.collect(watchService.take());
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MAX_SETTLE_MILLIS);
                WatchKey next;
                while (System.nanoTime() < deadline
                        && (next = watchService.poll(quietMillis, TimeUnit.MILLISECONDS)) != null) {
                    changes.collect(next);
                }
                apply(changes);
                sink.flush();
                if (changes.directoryGone) {
                    stop("directory can no longer be watched (deleted or unmounted); no further changes will be"
                            + " applied");
                    return;
                }
            }
        } catch (ClosedWatchServiceException | InterruptedException e) {
            // close() was called: stop quietly.
        }
    }

    private void stop(String reason) {
        String line = dir + ": " + reason;
        errorReporter.accept(line);
        sink.failed(line);
    }

    private void apply(Changes changes) {
        if (changes.rescan) {
            try {
                rescan();
            } catch (IOException e) {
                errorReporter.accept(dir + ": cannot list the directory: " + describe(e)
                        + "; keeping the last loaded state");
            } catch (RuntimeException e) {
                LOG.error("{}: rescan failed: {}", dir, e.toString());
            }
            return;
        }
        for (String name : changes.names) {
            loadIsolated(name);
        }
    }

    /** Reloads every manifest file present and drops the files that have gone. */
    private void rescan() throws IOException {
        Set<String> names = new TreeSet<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (isManifestName(name) && Files.isRegularFile(entry)) {
                    names.add(name);
                }
            }
        }
        // Sorted, so that between two files defining the same object the later name wins at start.
        for (String name : names) {
            loadIsolated(name);
        }
        Set<String> known = new TreeSet<>(filesObjects.keySet());
        known.addAll(versions.keySet());
        for (String name : known) {
            if (!names.contains(name)) {
                loadIsolated(name);
            }
        }
    }

    /** One file's failure (a bug, a sink that throws) must not stop the others or the watcher. */
    private void loadIsolated(String name) {
        try {
            load(name);
        } catch (RuntimeException e) {
            LOG.error("{}: reload failed: {}", dir.resolve(name), e.toString());
        }
    }

    private void load(String name) {
        Path path = dir.resolve(name);
        BasicFileAttributes attributes;
        byte[] bytes;
        try {
            attributes = Files.readAttributes(path, BasicFileAttributes.class);
            if (!attributes.isRegularFile()) {
                gone(name);
                return;
            }
            if (attributes.size() > MAX_FILE_BYTES) {
                tooLarge(name, attributes.size() + " bytes", attributes.size() + "@" + attributes.lastModifiedTime());
                return;
            }
            try (InputStream in = Files.newInputStream(path)) {
                // The size was read before the file: it may have grown since.
                bytes = in.readNBytes(MAX_FILE_BYTES + 1);
            }
        } catch (NoSuchFileException e) {
            // Deleted between the event and the read: the same as not there.
            gone(name);
            return;
        } catch (IOException e) {
            versions.remove(name);
            reportInvalid(name, "cannot read: " + describe(e));
            return;
        }
        if (bytes.length > MAX_FILE_BYTES) {
            tooLarge(name, "more than " + MAX_FILE_BYTES + " bytes", null);
            return;
        }
        String version = digest(bytes);
        if (version.equals(versions.get(name))) {
            return;
        }
        List<KubernetesObject> objects;
        try {
            objects = reader.read(StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString());
        } catch (CharacterCodingException e) {
            versions.put(name, version);
            reportInvalid(name, "cannot read: " + describe(e));
            return;
        } catch (InvalidManifestException e) {
            versions.put(name, version);
            reportInvalid(name, e.getMessage());
            return;
        }
        Map<ObjectKey, KubernetesObject> byKey = new LinkedHashMap<>();
        for (KubernetesObject object : objects) {
            if (!ServiceProxyLabels.excludes(object)) {
                byKey.put(ObjectKey.of(object), object);
            }
        }
        Delivered delivered = replace(name, byKey);
        // Remembered once delivered: a delivery that threw is retried when the file is next seen.
        versions.put(name, version);
        LOG.info("{}: loaded {} objects ({} upserted, {} deleted)", path, byKey.size(), delivered.upserts,
                delivered.deletes);
    }

    private void gone(String name) {
        versions.remove(name);
        Delivered delivered = replace(name, null);
        if (delivered.upserts + delivered.deletes > 0) {
            LOG.info("{}: gone ({} deleted, {} upserted from other files)", dir.resolve(name), delivered.deletes,
                    delivered.upserts);
        }
    }

    /** Reported once per version ({@code version} null: unknown, reported each time). */
    private void tooLarge(String name, String size, String version) {
        if (version != null && version.equals(versions.put(name, version))) {
            return;
        }
        reportInvalid(name, size + ", over the limit of " + MAX_FILE_BYTES + " bytes for a manifest file; not read");
    }

    private static String digest(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private void reportInvalid(String name, String reason) {
        String consequence = filesObjects.containsKey(name) ? "keeping its last good state" : "skipping it";
        errorReporter.accept(dir.resolve(name) + ": " + reason + "; " + consequence);
    }

    /**
     * Makes {@code objects} the content of file {@code name}; {@code null} means the file is gone. Returns
     * what reached the sink.
     */
    private Delivered replace(String name, Map<ObjectKey, KubernetesObject> objects) {
        Delivered delivered = new Delivered();
        Map<ObjectKey, KubernetesObject> previous =
                objects == null ? filesObjects.remove(name) : filesObjects.put(name, objects);
        if (previous == null && objects == null) {
            return delivered;
        }
        Map<ObjectKey, KubernetesObject> current = objects == null ? Map.of() : objects;
        for (Map.Entry<ObjectKey, KubernetesObject> entry : current.entrySet()) {
            ObjectKey key = entry.getKey();
            String other = otherDefiner(key, name);
            if (other != null) {
                LOG.warn("{} and {} both define {}; using {}, loaded last",
                        dir.resolve(name), dir.resolve(other), key, dir.resolve(name));
            }
            owners.put(key, name);
            deliver(key, entry.getValue(), delivered);
        }
        if (previous == null) {
            return delivered;
        }
        for (ObjectKey key : previous.keySet()) {
            if (current.containsKey(key) || !name.equals(owners.get(key))) {
                continue;
            }
            String other = otherDefiner(key, name);
            if (other == null) {
                owners.remove(key);
                retract(key, delivered);
            } else {
                owners.put(key, other);
                deliver(key, filesObjects.get(other).get(key), delivered);
            }
        }
        return delivered;
    }

    private String otherDefiner(ObjectKey key, String name) {
        for (Map.Entry<String, Map<ObjectKey, KubernetesObject>> file : filesObjects.entrySet()) {
            if (!file.getKey().equals(name) && file.getValue().containsKey(key)) {
                return file.getKey();
            }
        }
        return null;
    }

    private void deliver(ObjectKey key, KubernetesObject object, Delivered count) {
        if (!object.equals(delivered.get(key))) {
            sink.upsert(object);
            delivered.put(key, object);
            count.upserts++;
        }
    }

    private void retract(ObjectKey key, Delivered count) {
        KubernetesObject object = delivered.remove(key);
        if (object != null) {
            sink.delete(object);
            count.deletes++;
        }
    }

    /** How many upserts and deletes one file's change sent to the sink. */
    private static final class Delivered {
        int upserts;
        int deletes;
    }

    private void closeWatchService() {
        if (watchService != null) {
            try {
                watchService.close();
            } catch (IOException e) {
                LOG.warn("{}: closing the directory watch failed: {}", dir, e.toString());
            }
        }
    }

    static boolean isManifestName(String name) {
        return !name.startsWith(".")
                && (name.endsWith(".yaml") || name.endsWith(".yml") || name.endsWith(".json"));
    }

    private static String describe(IOException e) {
        String type = e.getClass().getSimpleName();
        return e.getMessage() == null ? type : type + ": " + e.getMessage();
    }

    /** The file names touched by a burst of events, or "everything" after an overflow. */
    private static final class Changes {
        final Set<String> names = new TreeSet<>();
        boolean rescan;
        boolean directoryGone;

        void collect(WatchKey key) {
            for (WatchEvent<?> event : key.pollEvents()) {
                if (event.kind() == OVERFLOW) {
                    rescan = true;
                    continue;
                }
                String name = event.context().toString();
                if (name.startsWith("..")) {
                    // Kubernetes mounts a ConfigMap as symlinks through "..data" and updates it by
                    // swapping that link; the visible file names never change, so reload them all.
                    rescan = true;
                } else if (isManifestName(name)) {
                    names.add(name);
                }
            }
            if (!key.reset()) {
                directoryGone = true;
            }
        }
    }
}
