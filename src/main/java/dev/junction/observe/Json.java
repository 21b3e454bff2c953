package dev.junction.observe;

/**
 * A minimal JSON writer for the admin and health bodies: objects, arrays, strings, numbers, booleans.
 * The caller keeps the nesting balanced. Not thread-safe.
 */
final class Json {

    private final StringBuilder out = new StringBuilder(256);
    private boolean first = true;

    Json object() {
        comma();
        out.append('{');
        first = true;
        return this;
    }

    Json object(String name) {
        key(name);
        out.append('{');
        first = true;
        return this;
    }

    Json array(String name) {
        key(name);
        out.append('[');
        first = true;
        return this;
    }

    Json end() {
        out.append('}');
        first = false;
        return this;
    }

    Json endArray() {
        out.append(']');
        first = false;
        return this;
    }

    Json field(String name, String value) {
        key(name);
        string(value);
        return this;
    }

    Json field(String name, long value) {
        key(name);
        out.append(value);
        first = false;
        return this;
    }

    Json field(String name, boolean value) {
        key(name);
        out.append(value);
        first = false;
        return this;
    }

    Json value(String value) {
        comma();
        string(value);
        return this;
    }

    private void key(String name) {
        comma();
        string(name);
        out.append(':');
        first = true;
    }

    private void comma() {
        if (!first) {
            out.append(',');
        }
        first = false;
    }

    private void string(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
        first = false;
    }

    @Override
    public String toString() {
        return out.toString();
    }
}
