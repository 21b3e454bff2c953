package dev.junction.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses durations the way kube-proxy flags spell them: {@code 250ms}, {@code 5s}, {@code 1m30s}, {@code 1h}. */
public final class Durations {

    private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h)");

    private Durations() {
    }

    /** @throws IllegalArgumentException naming the text and the accepted form */
    public static Duration parse(String text) {
        String t = text.trim();
        if (t.equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = PART.matcher(t);
        Duration total = Duration.ZERO;
        int at = 0;
        while (at < t.length() && m.find(at) && m.start() == at) {
            long n = Long.parseLong(m.group(1));
            total = total.plus(switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            });
            at = m.end();
        }
        if (at == 0 || at != t.length()) {
            throw new IllegalArgumentException(
                    "invalid duration \"" + text + "\" (expected e.g. 250ms, 5s, 1m30s, 1h, or 0)");
        }
        return total;
    }
}
