package dev.junction.source.file;

import static dev.junction.source.file.ManifestReaderTest.service;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.junction.source.ObjectSink;
import dev.junction.testing.Conditions;
import dev.junction.testing.RecordingSink;
import dev.junction.testing.Warnings;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.openapi.models.V1Service;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestSourceTest {

    @TempDir
    Path dir;

    private final RecordingSink sink = new RecordingSink();
    private final List<String> errors = new CopyOnWriteArrayList<>();
    private ManifestSource source;

    @AfterEach
    void closeSource() {
        if (source != null) {
            source.close();
        }
    }

    @Test
    void initialLoadDeliversYamlAndJsonObjectsThenSyncedOnce() throws IOException {
        write("a.yaml", service("web", 80) + "---\n" + slice("web-1", "10.1.0.1") + "---\n"
                + "apiVersion: v1\nkind: Node\nmetadata: {name: node-1}\n");
        write("b.json", """
                {"apiVersion": "v1", "kind": "Service",
                 "metadata": {"name": "api", "namespace": "shop"},
                 "spec": {"clusterIP": "10.96.0.11", "ports": [{"port": 443}]}}
                """);
        write("c.yml", service("db", 5432));
        // Not manifests: dotfiles, editor leftovers, other extensions, subdirectories.
        write(".hidden.yaml", service("hidden", 1));
        write(".web.yaml.swp", "binary junk");
        write("a.yaml~", service("backup", 1));
        write("notes.txt", "hello");
        Files.createDirectory(dir.resolve("sub"));
        write("sub/nested.yaml", service("nested", 1));

        start();

        assertEquals(List.of(
                "upsert V1Service default/web",
                "upsert V1EndpointSlice default/web-1",
                "upsert V1Node node-1",
                "upsert V1Service shop/api",
                "upsert V1Service default/db",
                "synced"), sink.events());
        assertEquals(sink.events(), sink.flushedEvents(), "start() returns with the initial state flushed");
        assertEquals(List.of(), errors);
    }

    /**
     * kube-proxy watches EndpointSlices with the label selector of its Service watch, so neither sees objects
     * labelled for another proxy or as headless (cmd/kube-proxy/app/server.go); the kube source gets the same
     * from the API server.
     */
    @Test
    void servicesAndSlicesKubeProxyLeavesOutAreNotDeliveredAndGainingTheLabelDeletes() throws IOException {
        write("web.yaml", service("web", 80) + "---\n" + slice("web-1", "10.1.0.1") + "---\n"
                + labelledSlice("web-other", "10.1.0.2", "service.kubernetes.io/service-proxy-name: other") + "---\n"
                + labelledSlice("web-headless", "10.1.0.3", "service.kubernetes.io/headless: ''"));
        write("other.yaml", service("other", 81).replace("metadata:\n",
                "metadata:\n  labels: {service.kubernetes.io/service-proxy-name: other}\n"));
        start();

        assertEquals(List.of("upsert V1Service default/web", "upsert V1EndpointSlice default/web-1", "synced"),
                sink.events());

        write("web.yaml", service("web", 80) + "---\n"
                + labelledSlice("web-1", "10.1.0.1", "service.kubernetes.io/service-proxy-name: other"));

        sink.awaitAfterSync("the relabelled slice", events -> !events.isEmpty());
        assertEquals(List.of("delete V1EndpointSlice default/web-1"), sink.eventsAfterSync());
        assertEquals(List.of(), errors);
    }

    @Test
    void editingAFileUpsertsTheChangedObjectAndDeletesTheRemovedOne() throws IOException {
        write("web.yaml", service("web", 80) + "---\n" + slice("web-1", "10.1.0.1") + "---\n" + service("old", 81));
        start();

        write("web.yaml", service("web", 8080) + "---\n" + slice("web-1", "10.1.0.1"));

        sink.awaitAfterSync("the edit", events -> events.size() >= 2);
        assertEquals(List.of("upsert V1Service default/web", "delete V1Service default/old"), sink.eventsAfterSync());
        assertEquals(8080, port(sink.last("upsert V1Service default/web")));
        Conditions.await("the edit to be flushed", () -> sink.flushedEvents().equals(sink.events()));
    }

    @Test
    void resavingAnIdenticalFileDeliversNothing() throws IOException {
        write("a.yaml", service("web", 80));
        write("b.yaml", service("db", 5432));
        start();

        write("a.yaml", service("web", 80));
        write("b.yaml", service("db", 5433));

        // a.yaml sorts first, so once b.yaml's change is seen the re-save of a.yaml has been handled.
        sink.awaitAfterSync("the change to b.yaml", events -> events.contains("upsert V1Service default/db"));
        assertEquals(List.of("upsert V1Service default/db"), sink.eventsAfterSync());
        assertEquals(5433, port(sink.last("upsert V1Service default/db")));
    }

    @Test
    void invalidFilesAtStartAreReportedAndSkippedWhileOthersLoad() throws IOException {
        write("good.yaml", service("web", 80));
        write("bad-yaml.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: x\n");
        write("unknown-kind.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n");
        write("bad-ip.yaml", slice("s", "10.1.0.999"));
        write("bad-port.yaml", service("first", 80) + "---\n" + service("second", 70000));

        start();

        assertEquals(List.of("upsert V1Service default/web", "synced"), sink.events());
        assertEquals(List.of(
                dir.resolve("bad-ip.yaml") + ": document 1: endpoints[0].addresses[0]: invalid IP address"
                        + " \"10.1.0.999\"; skipping it",
                dir.resolve("bad-port.yaml") + ": document 2: spec.ports[0].port: 70000 is out of range 1-65535;"
                        + " skipping it",
                dir.resolve("bad-yaml.yaml") + ": document 1: invalid YAML: line 4, column 1: expected ',' or '}',"
                        + " but got <stream end> (while parsing a flow mapping at line 3, column 11); skipping it",
                dir.resolve("unknown-kind.yaml") + ": document 1: unsupported object apps/v1 Deployment (a manifest"
                        + " directory holds v1 Service, discovery.k8s.io/v1 EndpointSlice or v1 Node); skipping it"),
                errors);
    }

    @Test
    void anEditThatBreaksAFileKeepsItsLastGoodObjectsUntilItIsFixed() throws IOException {
        write("web.yaml", service("web", 80) + "---\n" + slice("web-1", "10.1.0.1"));
        start();

        write("web.yaml", service("web", 70000));
        Conditions.await("the error line", () -> List.copyOf(errors), lines -> !lines.isEmpty());
        assertEquals(List.of(dir.resolve("web.yaml") + ": document 1: spec.ports[0].port: 70000 is out of range"
                + " 1-65535; keeping its last good state"), errors);

        write("web.yaml", service("web", 81));
        sink.awaitAfterSync("the fix", events -> events.size() >= 2);
        assertEquals(List.of("upsert V1Service default/web", "delete V1EndpointSlice default/web-1"),
                sink.eventsAfterSync(), "nothing was delivered for the invalid version");
        assertEquals(81, port(sink.last("upsert V1Service default/web")));
    }

    @Test
    void deletingAFileDeletesItsObjects() throws IOException {
        write("web.yaml", service("web", 80) + "---\n" + slice("web-1", "10.1.0.1"));
        write("db.yaml", service("db", 5432));
        start();

        Files.delete(dir.resolve("web.yaml"));

        sink.awaitAfterSync("the deletes", events -> events.size() >= 2);
        assertEquals(List.of("delete V1Service default/web", "delete V1EndpointSlice default/web-1"),
                sink.eventsAfterSync());
    }

    @Test
    void anEditorSaveByRenameIsOneUpsertAndNoDelete() throws IOException {
        write("web.yaml", service("web", 80));
        // Each step must follow the last within the quiet window: a wide one, so a stall cannot split the save.
        source = new ManifestSource(dir, sink, errors::add, 1_000);
        source.start();

        // Like vim: move the original aside, write a new file under the old name, drop the backup.
        Files.move(dir.resolve("web.yaml"), dir.resolve("web.yaml~"));
        write("web.yaml", service("web", 81));
        Files.delete(dir.resolve("web.yaml~"));
        // Like most other editors: write a temporary file and rename it over the original.
        write(".web.yaml.tmp", service("web", 82));
        Files.move(dir.resolve(".web.yaml.tmp"), dir.resolve("web.yaml"),
                StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);

        sink.awaitAfterSync("port 82", events -> !events.isEmpty()
                && port(sink.last("upsert V1Service default/web")) == 82);
        assertFalse(sink.eventsAfterSync().contains("delete V1Service default/web"), sink.eventsAfterSync().toString());
    }

    @Test
    void aConfigMapVolumeUpdateBySymlinkSwapIsSeen() throws IOException {
        // The layout kubelet's atomic writer gives a ConfigMap volume.
        Files.createDirectory(dir.resolve("..v1"));
        write("..v1/web.yaml", service("web", 80));
        Files.createSymbolicLink(dir.resolve("..data"), Path.of("..v1"));
        Files.createSymbolicLink(dir.resolve("web.yaml"), Path.of("..data/web.yaml"));
        start();

        Files.createDirectory(dir.resolve("..v2"));
        write("..v2/web.yaml", service("web", 81));
        Files.createSymbolicLink(dir.resolve("..data_tmp"), Path.of("..v2"));
        Files.move(dir.resolve("..data_tmp"), dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);

        sink.awaitAfterSync("the new ConfigMap content", events -> events.contains("upsert V1Service default/web"));
        assertEquals(81, port(sink.last("upsert V1Service default/web")));
    }

    @Test
    void anObjectDefinedInTwoFilesLivesWhileEitherDefinesIt() throws IOException {
        write("a.yaml", service("web", 80));
        write("b.yaml", service("web", 81));
        start();
        assertEquals(List.of("upsert V1Service default/web", "upsert V1Service default/web", "synced"), sink.events());
        assertEquals(81, port(sink.last("upsert V1Service default/web")), "the file loaded last wins");

        Files.delete(dir.resolve("b.yaml"));
        sink.awaitAfterSync("a.yaml's definition", events -> events.size() >= 1);
        assertEquals(List.of("upsert V1Service default/web"), sink.eventsAfterSync());
        assertEquals(80, port(sink.last("upsert V1Service default/web")));

        Files.delete(dir.resolve("a.yaml"));
        sink.awaitAfterSync("the delete", events -> events.size() >= 2);
        assertEquals(List.of("upsert V1Service default/web", "delete V1Service default/web"), sink.eventsAfterSync());
    }

    @Test
    void aSinkThatThrowsDoesNotStopTheWatcher() throws IOException {
        AtomicBoolean failOnce = new AtomicBoolean();
        ObjectSink flaky = failingOnce(failOnce, () -> {
            throw new IllegalStateException("sink is having a bad day");
        });
        write("web.yaml", service("web", 80));
        source = new ManifestSource(dir, flaky, errors::add);
        source.start();

        failOnce.set(true);
        write("web.yaml", service("web", 81));
        Conditions.await("the failed delivery", failOnce::get, failing -> !failing);
        write("db.yaml", service("db", 5432));
        write("web.yaml", service("web", 82));

        sink.awaitAfterSync("later changes", events -> events.contains("upsert V1Service default/web"));
        assertEquals(82, port(sink.last("upsert V1Service default/web")));
    }

    /**
     * Issue 14: a 1 GiB sparse file ({@code truncate -s 1G}) threw OutOfMemoryError in the watcher, after which no
     * change was ever applied. It is refused by its size, unread, and the next edit of another file applies.
     */
    @Test
    void aFileOverTheSizeCapIsRefusedUnreadAndOtherEditsStillApply() throws IOException {
        write("web.yaml", service("web", 80));
        start();

        try (RandomAccessFile huge = new RandomAccessFile(dir.resolve("huge.yaml").toFile(), "rw")) {
            huge.setLength(1L << 30);
        }
        write("web.yaml", service("web", 81));

        sink.awaitAfterSync("the edit after the huge file", events -> events.contains("upsert V1Service default/web"));
        assertEquals(81, port(sink.last("upsert V1Service default/web")));
        assertEquals(List.of(dir.resolve("huge.yaml") + ": 1073741824 bytes, over the limit of 2097152 bytes for a"
                + " manifest file; not read; skipping it"), errors);
    }

    @Test
    void aFileOfExactlyTheSizeCapIsReadAndOneByteMoreIsNot() throws IOException {
        String padded = padTo(service("web", 80), ManifestSource.MAX_FILE_BYTES);
        write("web.yaml", padded);
        write("db.yaml", padTo(service("db", 5432), ManifestSource.MAX_FILE_BYTES + 1));
        start();

        assertEquals(List.of("upsert V1Service default/web", "synced"), sink.events());
        assertEquals(List.of(dir.resolve("db.yaml") + ": 2097153 bytes, over the limit of 2097152 bytes for a"
                + " manifest file; not read; skipping it"), errors);
    }

    /**
     * Issue 14: a rescan (after an inotify OVERFLOW, which the JDK also signals once 512 events wait unread, or a
     * ConfigMap's "..data" swap: the same path) re-logged every invalid file and re-parsed every file. Unchanged
     * files are now neither reloaded nor reported again; a file whose content changed is.
     */
    @Test
    void aRescanNeitherReloadsNorReReportsUnchangedFiles() throws IOException {
        write("web.yaml", service("web", 80) + "---\n" + slice("web-1", "10.1.0.1"));
        write("bad.yaml", service("bad", 70000));
        write("huge.yaml", "#".repeat(ManifestSource.MAX_FILE_BYTES + 1));
        try (Warnings info = new Warnings(ManifestSource.class, Level.INFO)) {
            List<String> loaded = info.lines;
            start();
            assertEquals(List.of(dir.resolve("web.yaml") + ": loaded 2 objects (2 upserted, 0 deleted)"), loaded);
            assertEquals(2, errors.size(), errors.toString());

            // The rescan first: once db.yaml's upsert is seen, it has run.
            Files.createDirectory(dir.resolve("..2026_12_07"));
            write("db.yaml", service("db", 5432));

            sink.awaitAfterSync("the new file", events -> events.contains("upsert V1Service default/db"));
            // The file's line follows its delivery.
            Conditions.await("db.yaml's line", () -> loaded.size(), n -> n >= 2);
            assertEquals(List.of(dir.resolve("web.yaml") + ": loaded 2 objects (2 upserted, 0 deleted)",
                    dir.resolve("db.yaml") + ": loaded 1 objects (1 upserted, 0 deleted)"), loaded);
            assertEquals(2, errors.size(), errors.toString());

            write("bad.yaml", service("bad", 70001));
            Conditions.await("the changed invalid file's line", () -> errors.size(), n -> n == 3);
            assertEquals(dir.resolve("bad.yaml") + ": document 1: spec.ports[0].port: 70001 is out of range 1-65535;"
                    + " skipping it", errors.get(2));
        }
    }

    /**
     * Issue 14: an Error in the watcher (OutOfMemoryError) ended the thread silently. Now it is one line and
     * {@link ObjectSink#failed}, which fails the proxy's health; the thread is gone, as its state may be half-applied.
     */
    @Test
    void anErrorThatEndsTheWatcherIsReportedAndTheSourceFailed() throws IOException {
        AtomicBoolean failNext = new AtomicBoolean();
        ObjectSink failing = failingOnce(failNext, () -> {
            throw new OutOfMemoryError("Java heap space");
        });
        write("web.yaml", service("web", 80));
        source = new ManifestSource(dir, failing, errors::add);
        source.start();

        failNext.set(true);
        write("web.yaml", service("web", 81));

        Conditions.await("the watcher to stop", ManifestSourceTest::watcherThreads, n -> n == 0);
        String line = dir + ": the watcher failed: java.lang.OutOfMemoryError: Java heap space; no further changes"
                + " will be applied";
        assertEquals(List.of(line), errors);
        assertEquals(List.of("failed: " + line), sink.eventsAfterSync());
    }

    @Test
    void aDirectoryThatGoesAwayIsReportedAndTheSourceFailed() throws IOException {
        Path watched = Files.createDirectory(dir.resolve("manifests"));
        Files.writeString(watched.resolve("web.yaml"), service("web", 80));
        source = new ManifestSource(watched, sink, errors::add);
        source.start();

        Files.delete(watched.resolve("web.yaml"));
        Files.delete(watched);

        sink.awaitAfterSync("the failure", events -> events.stream().anyMatch(e -> e.startsWith("failed: ")));
        String line = watched + ": directory can no longer be watched (deleted or unmounted); no further changes"
                + " will be applied";
        assertEquals(List.of("delete V1Service default/web", "failed: " + line), sink.eventsAfterSync());
        assertEquals(List.of(line), errors);
    }

    @Test
    void startFailsClearlyOnAMissingDirectory() {
        ManifestSource missing = new ManifestSource(dir.resolve("nope"), sink, errors::add);
        UncheckedIOException e = assertThrows(UncheckedIOException.class, missing::start);
        assertEquals("manifest directory " + dir.resolve("nope") + ": NoSuchFileException: " + dir.resolve("nope"),
                e.getMessage());
        missing.close();
    }

    @Test
    void closeStopsTheWatcherThreadAndIsIdempotent() throws IOException {
        start();
        assertEquals(1, watcherThreads());
        source.close();
        source.close();
        assertEquals(0, watcherThreads());
        assertThrows(IllegalStateException.class, source::start);
    }

    /** A sink that records in {@link #sink}, except that its first upsert once {@code armed} is set runs {@code fail}. */
    private ObjectSink failingOnce(AtomicBoolean armed, Runnable fail) {
        return new ObjectSink() {
            @Override
            public void upsert(KubernetesObject object) {
                if (armed.compareAndSet(true, false)) {
                    fail.run();
                }
                sink.upsert(object);
            }

            @Override
            public void delete(KubernetesObject object) {
                sink.delete(object);
            }

            @Override
            public void synced() {
                sink.synced();
            }

            @Override
            public void failed(String reason) {
                sink.failed(reason);
            }

            @Override
            public void stalled(String reason) {
                sink.stalled(reason);
            }

            @Override
            public void resumed() {
                sink.resumed();
            }

            @Override
            public void flush() {
                sink.flush();
            }
        };
    }

    /** {@code text} followed by comment lines up to exactly {@code size} bytes. */
    private static String padTo(String text, int size) {
        StringBuilder padded = new StringBuilder(text);
        while (padded.length() < size) {
            int line = Math.min(80, size - padded.length());
            padded.append(line == 1 ? "\n" : "#" + "x".repeat(line - 2) + "\n");
        }
        return padded.toString();
    }

    private void start() {
        source = new ManifestSource(dir, sink, errors::add);
        source.start();
    }

    private void write(String name, String text) throws IOException {
        Files.writeString(dir.resolve(name), text);
    }

    private static long watcherThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("junction-manifests") && t.isAlive())
                .count();
    }

    private static int port(KubernetesObject service) {
        return ((V1Service) service).getSpec().getPorts().get(0).getPort();
    }

    private static String slice(String name, String address) {
        return labelledSlice(name, address, "");
    }

    /** A slice of web with {@code label} ({@code key: value}) besides the Service name, when not empty. */
    private static String labelledSlice(String name, String address, String label) {
        return """
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: %s
                  labels: {kubernetes.io/service-name: web%s}
                addressType: IPv4
                endpoints:
                - addresses: [%s]
                ports:
                - port: 8080
                """.formatted(name, label.isEmpty() ? "" : ", " + label, address);
    }
}
