package dev.junction.testing;

import dev.junction.source.ObjectSink;
import io.kubernetes.client.common.KubernetesObject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * What a source delivered: every call as a line ({@code upsert V1Service shop/web}, {@code delete ...},
 * {@code synced}) with its object, and how far the source has flushed; each call is forwarded to an
 * optional delegate (a control plane, for traffic tests). Thread-safe.
 */
public final class RecordingSink implements ObjectSink {

    private final ObjectSink delegate;
    private final List<String> events = new ArrayList<>();
    private final List<KubernetesObject> objects = new ArrayList<>();
    private int flushed;

    public RecordingSink() {
        this(null);
    }

    public RecordingSink(ObjectSink delegate) {
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
    public void failed(String reason) {
        record("failed: " + reason, null);
        if (delegate != null) {
            delegate.failed(reason);
        }
    }

    @Override
    public void stalled(String reason) {
        record("stalled: " + reason, null);
        if (delegate != null) {
            delegate.stalled(reason);
        }
    }

    @Override
    public void resumed() {
        record("resumed", null);
        if (delegate != null) {
            delegate.resumed();
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

    // The class name, not the object's kind: objects listed from the API server come without a kind.
    private synchronized void record(String what, KubernetesObject object) {
        if (object == null) {
            events.add(what);
        } else {
            String ns = object.getMetadata().getNamespace();
            String name = object.getMetadata().getName();
            events.add(what + ' ' + object.getClass().getSimpleName() + ' ' + (ns == null ? name : ns + '/' + name));
        }
        objects.add(object);
    }

    public synchronized List<String> events() {
        return List.copyOf(events);
    }

    /** The events the source has flushed, the calls it made before its last {@link #flush}. */
    public synchronized List<String> flushedEvents() {
        return List.copyOf(events.subList(0, flushed));
    }

    /** The events after the first {@code synced}. */
    public synchronized List<String> eventsAfterSync() {
        return List.copyOf(events.subList(events.indexOf("synced") + 1, events.size()));
    }

    /** Polls until {@code condition} holds for the events after sync; fails with them after 10 s. */
    public void awaitAfterSync(String what, Predicate<List<String>> condition) {
        Conditions.await(what, this::eventsAfterSync, condition);
    }

    public synchronized long count(String event) {
        return events.stream().filter(event::equals).count();
    }

    /** The object of the last event whose line is {@code event}. */
    public synchronized KubernetesObject last(String event) {
        return objects.get(events.lastIndexOf(event));
    }
}
