package dev.junction.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
