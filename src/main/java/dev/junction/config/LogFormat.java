package dev.junction.config;

/** The {@code --log-format} values: human-readable lines, or one JSON object per line for log shippers. */
public enum LogFormat {
    TEXT, JSON;

    /** @throws IllegalArgumentException naming the text and the accepted values */
    public static LogFormat parse(String text) {
        for (LogFormat f : values()) {
            if (f.name().equalsIgnoreCase(text)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown log format \"" + text + "\" (expected: text or json)");
    }
}
