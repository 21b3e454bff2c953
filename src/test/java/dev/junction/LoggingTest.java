package dev.junction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.time.Instant;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class LoggingTest {

    @Test
    void jsonLineHoldsTimeLevelLoggerAndEscapedMessage() {
        LogRecord r = record(Level.WARNING, "service \"a\\b\": bad\n\tport");
        assertEquals("{\"time\":\"2025-01-01T00:00:00.123Z\",\"level\":\"WARN\",\"logger\":\"dev.junction.control.ControlPlane\","
                + "\"msg\":\"service \\\"a\\\\b\\\": bad\\n\\tport\"}" + System.lineSeparator(),
                new Logging.JsonLines().format(r));
    }

    @Test
    void jsonLineCarriesTheStackTraceOnTheSameLine() {
        LogRecord r = record(Level.SEVERE, "failed");
        r.setThrown(new IllegalStateException("boom"));
        String line = new Logging.JsonLines().format(r);
        assertEquals(1, line.lines().count(), line);
        JsonObject json = JsonParser.parseString(line).getAsJsonObject();
        assertEquals("ERROR", json.get("level").getAsString());
        assertTrue(json.get("error").getAsString().startsWith("java.lang.IllegalStateException: boom" + System.lineSeparator()
                + "\tat "), json.get("error").getAsString());
    }

    private static LogRecord record(Level level, String message) {
        LogRecord r = new LogRecord(level, message);
        r.setInstant(Instant.parse("2025-01-01T00:00:00.123Z"));
        r.setLoggerName("dev.junction.control.ControlPlane");
        return r;
    }
}
