package dev.junction.config;

/** The {@code --log-level} values, least to most verbose. */
public enum LogLevel {
    ERROR, WARN, INFO, DEBUG;

    /** @throws IllegalArgumentException naming the text and the accepted values */
    public static LogLevel parse(String text) {
        for (LogLevel l : values()) {
            if (l.name().equalsIgnoreCase(text)) {
                return l;
            }
        }
        throw new IllegalArgumentException("unknown log level \"" + text + "\" (expected: error, warn, info or debug)");
    }
}
