package dev.junction.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Durations as Go's time.ParseDuration reads them (its own test table, time_test.go parseDurationTests). */
class DurationsTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "0,                0",
        "0s,               0",
        "5s,               5000000000",
        "30s,              30000000000",
        "1478s,            1478000000000",
        "+5s,              5000000000",
        "5.0s,             5000000000",
        "5.6s,             5600000000",
        "5.s,              5000000000",
        ".5s,              500000000",
        "1.0s,             1000000000",
        "1.004s,           1004000000",
        "1.0040s,          1004000000",
        "100.00100s,       100001000000",
        "1.5s,             1500000000",
        "10ns,             10",
        "11us,             11000",
        "12\u00b5s,        12000",
        "12\u03bcs,        12000",
        "13ms,             13000000",
        "14s,              14000000000",
        "15m,              900000000000",
        "15m0s,            900000000000",
        "16h,              57600000000000",
        "1h2m,             3720000000000",
        "3h30m,            12600000000000",
        "10.5s4m,          250500000000",
        "1m30s,            90000000000",
        "1h1m1s1ms1us1ns,  3661001001001",
        "39h9m14.425s,     140954425000000",
        "52763797000ns,    52763797000",
        "0.3333333333333333333h, 1199999999999",
        "9007199254740993ns, 9007199254740993",
        "9223372036854775807ns, 9223372036854775807",
        "0.100000000000000000000h, 360000000000",
    })
    void parsesWhatGoParses(String text, long nanos) {
        assertEquals(Duration.ofNanos(nanos), Durations.parse(text));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"", "3", "-", "s", ".", "-.", ".s", "+.s", "1d", "1.2.3s", "5 s", "soon", "9223372036854775808ns"})
    void refusesWhatGoRefuses(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(text));
        assertTrue(e.getMessage().startsWith("invalid duration \"" + text + "\""), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"-5s", "-1.5h", "-0s"})
    void refusesNegativeDurationsThatGoWouldAccept(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(text));
        assertTrue(e.getMessage().contains("must not be negative"), e.getMessage());
    }
}
