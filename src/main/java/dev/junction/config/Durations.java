package dev.junction.config;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses durations as Go's {@code time.ParseDuration} reads them, since kube-proxy's flags and its config file
 * (written by kubeadm, {@code 15m0s}) use Go's form: {@code 1.5s}, {@code 100us}, {@code 1h2m}, {@code 0s}, units
 * ns, us (µs), ms, s, m, h. A negative duration is refused: no setting here means anything by one. Stateless.
 */
public final class Durations {

    private static final Pattern PART = Pattern.compile("(\\d+\\.?\\d*|\\.\\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)");
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private Durations() {
    }

    /** @throws IllegalArgumentException naming the text and the accepted form */
    public static Duration parse(String text) {
        String t = text.trim();
        if (t.startsWith("-")) {
            throw new IllegalArgumentException("invalid duration \"" + text + "\": must not be negative");
        }
        if (t.startsWith("+")) {
            t = t.substring(1);
        }
        if (t.equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = PART.matcher(t);
        BigDecimal nanos = BigDecimal.ZERO;
        int at = 0;
        while (at < t.length() && m.find(at) && m.start() == at) {
            nanos = nanos.add(new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unitNanos(m.group(2)))));
            at = m.end();
        }
        if (at == 0 || at != t.length()) {
            throw new IllegalArgumentException(
                    "invalid duration \"" + text + "\" (expected Go's form, e.g. 250ms, 1.5s, 1m30s, 1h, 100us, or 0)");
        }
        // Go truncates a fraction of a nanosecond and refuses what overflows its int64 of nanoseconds.
        BigInteger whole = nanos.toBigInteger();
        if (whole.bitLength() > 63) {
            throw new IllegalArgumentException("invalid duration \"" + text + "\": out of range");
        }
        return Duration.ofNanos(whole.longValue());
    }

    private static long unitNanos(String unit) {
        return switch (unit) {
            case "ns" -> 1L;
            case "ms" -> 1_000_000L;
            case "s" -> NANOS_PER_SECOND;
            case "m" -> 60 * NANOS_PER_SECOND;
            case "h" -> 3600 * NANOS_PER_SECOND;
            default -> 1_000L;
        };
    }
}
