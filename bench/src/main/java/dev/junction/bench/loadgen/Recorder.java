package dev.junction.bench.loadgen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * Latencies (microseconds) and counts of one run, recorded on the load generator's single event loop.
 * Everything before {@link #startMeasuring} is warm-up and discarded.
 */
final class Recorder {

    private final Histogram latencyMicros = new Histogram(60_000_000L, 3);
    private long operations;
    private long bytes;
    private long errors;
    private long startNanos;
    private long endNanos;
    private boolean measuring;
    private double proxyCpu = Double.NaN;

    void startMeasuring(long nowNanos) {
        latencyMicros.reset();
        operations = 0;
        bytes = 0;
        errors = 0;
        startNanos = nowNanos;
        measuring = true;
    }

    void stop(long nowNanos) {
        if (measuring) {
            endNanos = nowNanos;
            measuring = false;
        }
    }

    boolean measuring() {
        return measuring;
    }

    void operation(long latencyNanos) {
        if (measuring) {
            operations++;
            latencyMicros.recordValue(Math.max(0, Math.min(latencyNanos / 1000, 60_000_000L)));
        }
    }

    void bytes(long n) {
        if (measuring) {
            bytes += n;
        }
    }

    void error() {
        if (measuring) {
            errors++;
        }
    }

    /** Cores the proxy process used over the measured window; NaN when not measured. */
    void proxyCpu(double cores) {
        proxyCpu = cores;
    }

    double seconds() {
        return (endNanos - startNanos) / 1e9;
    }

    /** One line for people, one JSON object for scripts. */
    String report(String label, String mode) {
        double s = seconds();
        return String.format(Locale.ROOT,
                "%s %s: %.0f ops/s, %.3f Gbit/s, p50 %d us, p90 %d us, p99 %d us, p99.9 %d us, max %d us, errors %d,"
                        + " proxy CPU %.2f cores",
                label, mode, operations / s, bytes * 8 / s / 1e9, latencyMicros.getValueAtPercentile(50),
                latencyMicros.getValueAtPercentile(90), latencyMicros.getValueAtPercentile(99),
                latencyMicros.getValueAtPercentile(99.9), latencyMicros.getMaxValue(), errors, proxyCpu);
    }

    String json(String label, String mode) {
        double s = seconds();
        return String.format(Locale.ROOT,
                "{\"label\":\"%s\",\"mode\":\"%s\",\"seconds\":%.3f,\"operations\":%d,\"opsPerSecond\":%.1f,"
                        + "\"gbitPerSecond\":%.4f,\"p50us\":%d,\"p90us\":%d,\"p99us\":%d,\"p999us\":%d,\"maxus\":%d,"
                        + "\"errors\":%d%s}",
                label, mode, s, operations, operations / s, bytes * 8 / s / 1e9,
                latencyMicros.getValueAtPercentile(50), latencyMicros.getValueAtPercentile(90),
                latencyMicros.getValueAtPercentile(99), latencyMicros.getValueAtPercentile(99.9),
                latencyMicros.getMaxValue(), errors,
                Double.isNaN(proxyCpu) ? "" : String.format(Locale.ROOT, ",\"proxyCpu\":%.4f", proxyCpu));
    }

    void write(Path json, String label, String mode) throws IOException {
        Files.writeString(json, json(label, mode) + "\n");
    }
}
