package dev.junction.model;

import java.util.Locale;

/** How a frontend picks among usable endpoints; chosen per Service by the {@code junction.dev/lb} annotation. */
public enum LbPolicy {
    ROUND_ROBIN("round-robin"),
    LEAST_CONNECTIONS("least-connections");

    private final String label;

    LbPolicy(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** @throws IllegalArgumentException naming the accepted values */
    public static LbPolicy parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        for (LbPolicy p : values()) {
            if (p.label.equals(t)) {
                return p;
            }
        }
        throw new IllegalArgumentException(
                "unknown load-balancing policy \"" + text + "\" (expected round-robin or least-connections)");
    }

    @Override
    public String toString() {
        return label;
    }
}
