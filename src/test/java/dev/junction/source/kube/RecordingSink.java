package dev.junction.source.kube;

import dev.junction.source.ObjectSink;
import io.kubernetes.client.common.KubernetesObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Records every call as a line ({@code upsert V1Service shop/web}, {@code delete ...}, {@code synced})
 * and how far the source has flushed, and forwards each call to an optional delegate; thread-safe.
 */
final class RecordingSink implements ObjectSink {

    private final ObjectSink delegate;
    private final List<String> events = new ArrayList<>();
    private final List<KubernetesObject> objects = new ArrayList<>();
    private int flushed;

    RecordingSink() {
        this(null);
    }

    RecordingSink(ObjectSink delegate) {
        this.delegate = delegate;
    }

    @Override
    public void upsert(KubernetesObject object) {
        record("upsert", object);
        if (delegate != null) {
            delegate.upsert(object);
        }
    }

    @Override
    public void delete(KubernetesObject object) {
        record("delete", object);
        if (delegate != null) {
            delegate.delete(object);
        }
    }

    @Override
    public void synced() {
        record("synced", null);
        if (delegate != null) {
            delegate.synced();
        }
    }

    @Override
    public void flush() {
        synchronized (this) {
            flushed = events.size();
        }
        if (delegate != null) {
            delegate.flush();
        }
    }

    /** The events the source has flushed, the calls it made before its last {@link #flush}. */
    synchronized List<String> flushedEvents() {
        return List.copyOf(events.subList(0, flushed));
    }

    private synchronized void record(String what, KubernetesObject object) {
        events.add(object == null ? what : what + ' ' + line(object));
        objects.add(object);
    }

    static String line(KubernetesObject object) {
        String ns = object.getMetadata().getNamespace();
        String name = object.getMetadata().getName();
        return object.getClass().getSimpleName() + ' ' + (ns == null ? name : ns + '/' + name);
    }

    synchronized List<String> events() {
        return List.copyOf(events);
    }

    synchronized long count(String event) {
        return events.stream().filter(event::equals).count();
    }

    /** The object of the last event whose line is {@code event}. */
    synchronized KubernetesObject last(String event) {
        return objects.get(events.lastIndexOf(event));
    }
}
