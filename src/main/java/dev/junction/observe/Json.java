package dev.junction.observe;

import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Duration;

/**
 * One compact JSON text built with Gson's {@link JsonWriter}, the one place Junction escapes JSON: the admin
 * and health bodies and the JSON log lines. Control characters, line breaks included, are escaped, so the text
 * is always one line. The caller keeps the nesting balanced. Not thread-safe; one per text.
 */
public final class Json {

    private final StringWriter out = new StringWriter(256);
    private final JsonWriter writer = new JsonWriter(out);

    public Json object() {
        return write(() -> writer.beginObject());
    }

    public Json object(String name) {
        return write(() -> writer.name(name).beginObject());
    }

    public Json array(String name) {
        return write(() -> writer.name(name).beginArray());
    }

    public Json end() {
        return write(() -> writer.endObject());
    }

    public Json endArray() {
        return write(() -> writer.endArray());
    }

    public Json field(String name, String value) {
        return write(() -> writer.name(name).value(value));
    }

    public Json field(String name, long value) {
        return write(() -> writer.name(name).value(value));
    }

    public Json field(String name, double value) {
        return write(() -> writer.name(name).value(value));
    }

    public Json field(String name, boolean value) {
        return write(() -> writer.name(name).value(value));
    }

    /**
     * A duration as Go's {@code time.Duration} writes it ({@code 30s}, {@code 1m0s}, {@code 1.5s},
     * {@code 100µs}): how Kubernetes configuration shows durations.
     */
    public Json field(String name, Duration value) {
        return field(name, goDuration(value));
    }

    public Json value(String value) {
        return write(() -> writer.value(value));
    }

    /** Go's {@code time.Duration.String()}: h, m and s from a second up, else the largest sub-second unit. */
    static String goDuration(Duration d) {
        long nanos = d.toNanos();
        String sign = nanos < 0 ? "-" : "";
        long n = Math.abs(nanos);
        if (n == 0) {
            return "0s";
        }
        if (n < 1_000L) {
            return sign + n + "ns";
        }
        if (n < 1_000_000L) {
            return sign + decimal(n, 1_000L) + "\u00b5s";
        }
        if (n < 1_000_000_000L) {
            return sign + decimal(n, 1_000_000L) + "ms";
        }
        long hours = n / 3_600_000_000_000L;
        long minutes = n / 60_000_000_000L % 60;
        String seconds = decimal(n % 60_000_000_000L, 1_000_000_000L) + "s";
        if (hours > 0) {
            return sign + hours + "h" + minutes + "m" + seconds;
        }
        return sign + (minutes > 0 ? minutes + "m" : "") + seconds;
    }

    /** {@code value / unit} with the remainder as a decimal fraction, trailing zeros dropped. */
    private static String decimal(long value, long unit) {
        long fraction = value % unit;
        if (fraction == 0) {
            return Long.toString(value / unit);
        }
        String digits = Long.toString(unit + fraction).substring(1).replaceAll("0+$", "");
        return value / unit + "." + digits;
    }

    private interface Step {
        void run() throws IOException;
    }

    private Json write(Step step) {
        try {
            step.run();
        } catch (IOException e) {
            // A StringWriter never fails; JsonWriter only declares it.
            throw new UncheckedIOException(e);
        }
        return this;
    }

    @Override
    public String toString() {
        return out.toString();
    }
}
