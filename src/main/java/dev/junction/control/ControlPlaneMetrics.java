package dev.junction.control;

import dev.junction.control.RouteBuilder.NoLocalEndpoints;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1Service;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The control plane's meters, named as kube-proxy's so dashboards carry over (the Prometheus registry
 * turns {@code kubeproxy.sync.proxy.rules.duration} into {@code kubeproxy_sync_proxy_rules_duration_seconds}),
 * plus Junction's own event-received → live latency. Recorded in the control context, but for what is queued,
 * which any thread records; read from any thread.
 */
final class ControlPlaneMetrics {

    /** Set by the EndpointSlice controller: when the change that produced this slice version happened. */
    static final String TRIGGER_TIME_ANNOTATION = "endpoints.kubernetes.io/last-change-trigger-time";

    /** kube-proxy's: ExponentialBuckets(0.001, 2, 15), 1 ms to 16.384 s. */
    private static final Duration[] SYNC_BUCKETS = doubling(Duration.ofMillis(1), 15);
    private static final Duration[] PROGRAMMING_BUCKETS = programmingBuckets();
    /**
     * Junction's own, 20 buckets: 10 µs doubling to 5.24288 s (10, 20, 40, 80, 160, 320, 640 µs, 1.28 ms, ...).
     * Most changes go live in well under a millisecond: 7 of the bounds are below it.
     */
    private static final Duration[] EVENT_TO_LIVE_BUCKETS = doubling(Duration.ofNanos(10_000), 20);

    final Timer syncDuration;
    final Timer networkProgramming;
    final Timer eventToLive;
    final Counter endpointChanges;
    final Counter serviceChanges;
    final Counter bindRetriesFailed;
    /** Service / EndpointSlice changes queued, or recorded and not yet applied (before the first sync). */
    private final AtomicLong servicesPending = new AtomicLong();
    private final AtomicLong endpointsPending = new AtomicLong();
    /** Of those pending, the ones recorded as changes, waiting for the first sync. Control context only. */
    private long servicesRecorded;
    private long endpointsRecorded;
    private volatile long lastQueuedMillis;
    /**
     * Services with service ports counted by kube-proxy's no_local_endpoints_total; written in the control
     * context. observe exposes the sums: a Micrometer gauge would lose the name's {@code _total}.
     */
    private final Map<ServiceKey, NoLocalEndpoints> noLocalByService = new HashMap<>();
    private volatile int noLocalInternal;
    private volatile int noLocalExternal;

    ControlPlaneMetrics(MeterRegistry registry) {
        syncDuration = histogram(registry, "kubeproxy.sync.proxy.rules.duration",
                "Time to apply one batch of changes to the data plane", SYNC_BUCKETS);
        networkProgramming = histogram(registry, "kubeproxy.network.programming.duration",
                "From an EndpointSlice's last-change-trigger-time to the change being live", PROGRAMMING_BUCKETS);
        eventToLive = histogram(registry, "junction.event.to.live.duration",
                "From a change reaching the control plane to it being live in the data plane", EVENT_TO_LIVE_BUCKETS);
        endpointChanges = Counter.builder("kubeproxy.sync.proxy.rules.endpoint.changes")
                .description("EndpointSlice changes that changed a Service's endpoints").register(registry);
        serviceChanges = Counter.builder("kubeproxy.sync.proxy.rules.service.changes")
                .description("Service changes recorded").register(registry);
        bindRetriesFailed = Counter.builder("junction.frontend.bind.retries.failed")
                .description("Binds of a frontend tried again (every second) that failed again").register(registry);
        Gauge.builder("kubeproxy.sync.proxy.rules.endpoint.changes.pending", endpointsPending, AtomicLong::get)
                .description("Pending proxy rules Endpoint changes").register(registry);
        Gauge.builder("kubeproxy.sync.proxy.rules.service.changes.pending", servicesPending, AtomicLong::get)
                .description("Pending proxy rules Service changes").register(registry);
        Gauge.builder("kubeproxy.sync.proxy.rules.last.queued.timestamp.seconds", this,
                        m -> m.lastQueuedMillis / 1000.0)
                .description("The last time a sync of proxy rules was queued").register(registry);
    }

    /** {@code e} was queued for the control context; called from any thread. */
    void queued(Event e) {
        lastQueuedMillis = System.currentTimeMillis();
        AtomicLong pending = pending(e);
        if (pending != null) {
            pending.incrementAndGet();
        }
    }

    /**
     * {@code e} was recorded; a no-op is pending no more, a change until {@link #applied}. Called only in the
     * control context.
     */
    void recorded(Event e, boolean changed) {
        AtomicLong pending = pending(e);
        if (pending == null) {
            return;
        }
        if (!changed) {
            pending.decrementAndGet();
        } else if (pending == servicesPending) {
            servicesRecorded++;
        } else {
            endpointsRecorded++;
        }
    }

    /** Every recorded change is live. Called only in the control context. */
    void applied() {
        servicesPending.addAndGet(-servicesRecorded);
        endpointsPending.addAndGet(-endpointsRecorded);
        servicesRecorded = 0;
        endpointsRecorded = 0;
    }

    private AtomicLong pending(Event e) {
        Object o = e instanceof Event.Upsert u ? u.object() : e instanceof Event.Delete d ? d.object() : null;
        return o instanceof V1Service ? servicesPending : o instanceof V1EndpointSlice ? endpointsPending : null;
    }

    /** Service ports with an internal traffic policy Local and endpoints, none on this node; any thread. */
    int noLocalInternal() {
        return noLocalInternal;
    }

    /** Service ports reachable from outside with an external traffic policy Local, endpoints, none here. */
    int noLocalExternal() {
        return noLocalExternal;
    }

    /** {@code key} was rebuilt and has these counts now. Called only in the control context. */
    void noLocalEndpoints(ServiceKey key, NoLocalEndpoints counts) {
        NoLocalEndpoints old = counts.equals(NoLocalEndpoints.NONE)
                ? noLocalByService.remove(key) : noLocalByService.put(key, counts);
        if (old == null) {
            old = NoLocalEndpoints.NONE;
        }
        noLocalInternal += counts.internal() - old.internal();
        noLocalExternal += counts.external() - old.external();
    }

    /** Classic buckets at exactly {@code bounds} (plus +Inf): one series each, unlike a percentile histogram's 119. */
    private static Timer histogram(MeterRegistry registry, String name, String description, Duration[] bounds) {
        return Timer.builder(name).description(description).serviceLevelObjectives(bounds).register(registry);
    }

    /** {@code count} bounds from {@code first}, each twice the one before: Prometheus' ExponentialBuckets(first, 2, count). */
    private static Duration[] doubling(Duration first, int count) {
        Duration[] bounds = new Duration[count];
        for (int i = 0; i < count; i++) {
            bounds[i] = first.multipliedBy(1L << i);
        }
        return bounds;
    }

    /**
     * kube-proxy's network programming buckets: 0.25 s and 0.5 s, 1-59 s by 1 s, 60-115 s by 5 s and 2-5 min
     * by 30 s. kube-proxy's MergeBuckets also puts a bucket at 0, which Micrometer refuses (bounds must be
     * positive); it holds only latencies of 0 or less there, and Junction drops negative ones (clock skew),
     * so without it only an exact 0 moves up to the 0.25 s bucket.
     */
    private static Duration[] programmingBuckets() {
        List<Duration> bounds = new ArrayList<>();
        bounds.add(Duration.ofMillis(250));
        bounds.add(Duration.ofMillis(500));
        linear(bounds, 1, 1, 59);
        linear(bounds, 60, 5, 12);
        linear(bounds, 120, 30, 7);
        return bounds.toArray(Duration[]::new);
    }

    private static void linear(List<Duration> bounds, int startSeconds, int stepSeconds, int count) {
        for (int i = 0; i < count; i++) {
            bounds.add(Duration.ofSeconds(startSeconds + (long) i * stepSeconds));
        }
    }

    /** Records the network programming latency of {@code slice} going live at {@code live}. */
    void programmed(V1EndpointSlice slice, Instant live) {
        Map<String, String> annotations = slice.getMetadata() == null ? null : slice.getMetadata().getAnnotations();
        String trigger = annotations == null ? null : annotations.get(TRIGGER_TIME_ANNOTATION);
        if (trigger == null) {
            return;
        }
        try {
            Duration latency = Duration.between(parseTriggerTime(trigger), live);
            if (!latency.isNegative()) {
                networkProgramming.record(latency);
            }
        } catch (DateTimeParseException e) {
            // A malformed annotation only costs this one sample.
        }
    }

    /**
     * As {@link Instant#parse}, which allocates a parse context, a field map and BigDecimals on every change:
     * the form the EndpointSlice controller writes (RFC 3339 in UTC, {@code 2006-01-02T15:04:05.999999999Z})
     * is read here by hand; anything else, out-of-range fields included, goes to {@link Instant#parse}.
     *
     * @throws DateTimeParseException when {@link Instant#parse} refuses {@code text}
     */
    static Instant parseTriggerTime(String text) {
        int length = text.length();
        if (length < 20 || text.charAt(length - 1) != 'Z' || text.charAt(4) != '-' || text.charAt(7) != '-'
                || text.charAt(10) != 'T' || text.charAt(13) != ':' || text.charAt(16) != ':') {
            return Instant.parse(text);
        }
        int year = digits(text, 0, 4);
        int month = digits(text, 5, 7);
        int day = digits(text, 8, 10);
        int hour = digits(text, 11, 13);
        int minute = digits(text, 14, 16);
        int second = digits(text, 17, 19);
        int fractionDigits = length - 21;
        int nanos = 0;
        if (length > 20) {
            if (text.charAt(19) != '.' || fractionDigits < 1 || fractionDigits > 9) {
                return Instant.parse(text);
            }
            nanos = digits(text, 20, length - 1);
            for (int i = fractionDigits; i < 9 && nanos >= 0; i++) {
                nanos *= 10;
            }
        }
        // A leap second (:60) and every other out-of-range field keep Instant.parse's own handling.
        if (year < 0 || month < 1 || month > 12 || day < 1 || day > 28 && day > YearMonth.of(year, month)
                .lengthOfMonth() || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59
                || nanos < 0) {
            return Instant.parse(text);
        }
        long epochDay = LocalDate.of(year, month, day).toEpochDay();
        return Instant.ofEpochSecond(epochDay * 86_400 + hour * 3_600L + minute * 60L + second, nanos);
    }

    /** The decimal number in {@code text[from, to)}, or -1 when a character there is not a digit. */
    private static int digits(String text, int from, int to) {
        int value = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }
}
