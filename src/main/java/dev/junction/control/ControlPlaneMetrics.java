package dev.junction.control;

import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;

/**
 * The control plane's meters, named as kube-proxy's so dashboards carry over (the Prometheus registry
 * turns {@code kubeproxy.sync.proxy.rules.duration} into {@code kubeproxy_sync_proxy_rules_duration_seconds}),
 * plus Junction's own event-received → live latency. Recorded in the control context.
 */
final class ControlPlaneMetrics {

    /** Set by the EndpointSlice controller: when the change that produced this slice version happened. */
    static final String TRIGGER_TIME_ANNOTATION = "endpoints.kubernetes.io/last-change-trigger-time";

    final Timer syncDuration;
    final Timer networkProgramming;
    final Timer eventToLive;
    final Counter endpointChanges;
    final Counter serviceChanges;

    ControlPlaneMetrics(MeterRegistry registry) {
        syncDuration = histogram(registry, "kubeproxy.sync.proxy.rules.duration",
                "Time to apply one batch of changes to the data plane", Duration.ofNanos(1_000), Duration.ofSeconds(60));
        networkProgramming = histogram(registry, "kubeproxy.network.programming.duration",
                "From an EndpointSlice's last-change-trigger-time to the change being live",
                Duration.ofNanos(100_000), Duration.ofMinutes(5));
        eventToLive = histogram(registry, "junction.event.to.live.duration",
                "From a change reaching the control plane to it being live in the data plane",
                Duration.ofNanos(1_000), Duration.ofSeconds(60));
        endpointChanges = Counter.builder("kubeproxy.sync.proxy.rules.endpoint.changes")
                .description("EndpointSlice changes that changed a Service's endpoints").register(registry);
        serviceChanges = Counter.builder("kubeproxy.sync.proxy.rules.service.changes")
                .description("Service changes recorded").register(registry);
    }

    private static Timer histogram(MeterRegistry registry, String name, String description, Duration min,
            Duration max) {
        return Timer.builder(name).description(description).publishPercentileHistogram()
                .minimumExpectedValue(min).maximumExpectedValue(max).register(registry);
    }

    /** Records the network programming latency of {@code slice} going live at {@code live}. */
    void programmed(V1EndpointSlice slice, Instant live) {
        Map<String, String> annotations = slice.getMetadata() == null ? null : slice.getMetadata().getAnnotations();
        String trigger = annotations == null ? null : annotations.get(TRIGGER_TIME_ANNOTATION);
        if (trigger == null) {
            return;
        }
        try {
            Duration latency = Duration.between(Instant.parse(trigger), live);
            if (!latency.isNegative()) {
                networkProgramming.record(latency);
            }
        } catch (DateTimeParseException e) {
            // A malformed annotation only costs this one sample.
        }
    }
}
