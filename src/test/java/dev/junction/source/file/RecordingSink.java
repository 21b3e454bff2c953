package dev.junction.source.file;


import dev.junction.source.ObjectSink;
import io.kubernetes.client.common.KubernetesObject;
import java.util.ArrayList;
import java.util.List;
import dev.junction.testing.Conditions;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Records every call as a line ("upsert Service default/web", "delete …", "synced") and how far the
 * source has flushed; thread-safe.
 */
final class RecordingSink implements ObjectSink {


    private final List<String> events = new ArrayList<>();
    private final List<KubernetesObject> objects = new ArrayList<>();
    private int flushed;

    @Override
    public synchronized void upsert(KubernetesObject object) {
        events.add("upsert " + ObjectKey.of(object));
        objects.add(object);
    }

    @Override
    public synchronized void delete(KubernetesObject object) {
        events.add("delete " + ObjectKey.of(object));
        objects.add(object);
    }

    @Override
    public synchronized void synced() {
        events.add("synced");
        objects.add(null);
    }

    @Override
    public synchronized void flush() {
        flushed = events.size();
    }

    /** The events the source has flushed, the calls it made before its last {@link #flush}. */
    synchronized List<String> flushedEvents() {
        return List.copyOf(events.subList(0, flushed));
    }

    synchronized List<String> events() {
        return List.copyOf(events);
    }

    /** The events after the first {@code synced}. */
    synchronized List<String> eventsAfterSync() {
        return List.copyOf(events.subList(events.indexOf("synced") + 1, events.size()));
    }

    /** The object of the last event whose line is {@code event}. */
    synchronized KubernetesObject lastObject(String event) {
        return objects.get(events.lastIndexOf(event));
    }

    /** Polls until {@code condition} holds for the events after sync; fails with them after 10 s. */
    void awaitAfterSync(String what, Predicate<List<String>> condition) {
        Conditions.await(what, this::eventsAfterSync, condition);
    }
}
