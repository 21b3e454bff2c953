package dev.junction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.time.Instant;
import java.util.List;
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

    /** A Service named "web\nERROR ..." (an API server would refuse the name, a manifest may hold it) logged. */
    private static final String FORGING = "Service default/web\n2025-01-01T00:00:00.000Z ERROR ControlPlane - forged\r: "
            + "metadata.name: \"web\u2028x\u001b[2J\" is not a DNS-1035 label";

    @Test
    void textLineEscapesLineBreaksAndControlsSoAnObjectNameCannotForgeALine() {
        String line = new Logging.Text().format(record(Level.WARNING, FORGING));
        assertEquals("2025-01-01T00:00:00.123Z WARN  ControlPlane - Service default/web\\n2025-01-01T00:00:00.000Z ERROR "
                + "ControlPlane - forged\\r: metadata.name: \"web\\u2028x\\u001b[2J\" is not a DNS-1035 label"
                + System.lineSeparator(), line);
    }

    @Test
    void textLineKeepsTabsAndOtherText() {
        assertEquals("a\tb \u00e9 \\n", Logging.escapeControls("a\tb \u00e9 \\n"));
        assertEquals("\\u0000\\u007f\\u0085\\u2029", Logging.escapeControls("\u0000\u007f\u0085\u2029"));
    }

    @Test
    void textStackTraceKeepsEachOfItsLinesWhenTheExceptionMessageHasLineBreaks() {
        LogRecord r = record(Level.SEVERE, "failed");
        r.setThrown(new IllegalStateException("bad \"web\r\nERROR forged\"", new IllegalArgumentException("x\ny")));
        List<String> lines = new Logging.Text().format(r).lines().toList();
        assertEquals("2025-01-01T00:00:00.123Z ERROR ControlPlane - failed", lines.get(0));
        assertEquals("java.lang.IllegalStateException: bad \"web\\r\\nERROR forged\"", lines.get(1));
        assertTrue(lines.contains("Caused by: java.lang.IllegalArgumentException: x\\ny"), lines.toString());
        for (String line : lines.subList(2, lines.size())) {
            assertTrue(line.startsWith("\tat ") || line.startsWith("\t... ") || line.startsWith("Caused by: "), line);
        }
    }

    @Test
    void jsonLineKeepsAForgingNameInsideItsMessage() {
        String line = new Logging.JsonLines().format(record(Level.WARNING, FORGING));
        assertEquals(1, line.lines().count(), line);
        assertEquals(FORGING, JsonParser.parseString(line).getAsJsonObject().get("msg").getAsString());
    }

    private static LogRecord record(Level level, String message) {
        LogRecord r = new LogRecord(level, message);
        r.setInstant(Instant.parse("2025-01-01T00:00:00.123Z"));
        r.setLoggerName("dev.junction.control.ControlPlane");
        return r;
    }
}
