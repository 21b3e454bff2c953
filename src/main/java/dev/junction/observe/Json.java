package dev.junction.observe;

import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

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

    public Json field(String name, boolean value) {
        return write(() -> writer.name(name).value(value));
    }

    public Json value(String value) {
        return write(() -> writer.value(value));
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
