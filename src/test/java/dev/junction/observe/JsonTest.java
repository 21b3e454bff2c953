package dev.junction.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void writesObjectsArraysAndValuesWithoutSpaces() {
        String json = new Json().object()
                .field("s", "x").field("n", -3).field("b", true)
                .array("a").value("1").value("2").endArray()
                .object("o").end()
                .array("empty").endArray()
                .end().toString();
        assertEquals("{\"s\":\"x\",\"n\":-3,\"b\":true,\"a\":[\"1\",\"2\"],\"o\":{},\"empty\":[]}", json);
    }

    /** Go's time.Duration.String(), which KubeProxyConfiguration's durations are written with. */
    @Test
    void writesDurationsAsGoDoes() {
        assertEquals("0s", Json.goDuration(Duration.ZERO));
        assertEquals("30s", Json.goDuration(Duration.ofSeconds(30)));
        assertEquals("1m0s", Json.goDuration(Duration.ofMinutes(1)));
        assertEquals("1h2m0s", Json.goDuration(Duration.ofMinutes(62)));
        assertEquals("1.5s", Json.goDuration(Duration.ofMillis(1500)));
        assertEquals("2m0.25s", Json.goDuration(Duration.ofMillis(120_250)));
        assertEquals("250ms", Json.goDuration(Duration.ofMillis(250)));
        assertEquals("100\u00b5s", Json.goDuration(Duration.ofNanos(100_000)));
        assertEquals("1.5\u00b5s", Json.goDuration(Duration.ofNanos(1_500)));
        assertEquals("7ns", Json.goDuration(Duration.ofNanos(7)));
        assertEquals("{\"t\":\"1m30s\"}", new Json().object().field("t", Duration.ofSeconds(90)).end().toString());
    }

    @Test
    void objectsInAnArrayAreSeparated() {
        String json = new Json().object().array("a").object().field("i", 1).end().object().field("i", 2).end()
                .endArray().end().toString();
        assertEquals("{\"a\":[{\"i\":1},{\"i\":2}]}", json);
    }

    @Test
    void escapesQuotesBackslashesAndControlCharacters() {
        String json = new Json().object().field("k\"", "a\"b\\c\nd\re\tf\u0001g\u001f").end().toString();
        assertEquals("{\"k\\\"\":\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u001f\"}", json);
    }

    @Test
    void leavesMarkupAndNonAsciiAsTheyAre() {
        assertEquals("{\"k\":\"<a href='x'>&amp;=é€\"}",
                new Json().object().field("k", "<a href='x'>&amp;=é€").end().toString());
    }
}
