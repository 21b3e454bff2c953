package dev.junction.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.testing.Warnings;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Which problems are logged, and how often. */
class ProblemLogTest {

    private static final ServiceKey WEB = new ServiceKey("ns", "web");
    private static final ServiceKey API = new ServiceKey("ns", "api");

    private final Warnings log = new Warnings(ProblemLogTest.class);
    private final List<String> warnings = log.lines;
    private final ProblemLog problems = new ProblemLog(LoggerFactory.getLogger(ProblemLogTest.class));

    @AfterEach
    void tearDown() {
        log.close();
    }

    @Test
    void aServicesProblemIsLoggedWhenItAppearsAndAgainAfterItWentAway() {
        problems.rebuilt(WEB, List.of("web: SCTP"));
        problems.rebuilt(WEB, List.of("web: SCTP"));
        problems.rebuilt(WEB, List.of("web: SCTP", "web: bad address"));
        assertEquals(List.of("web: SCTP", "web: bad address"), warnings);

        problems.rebuilt(WEB, List.of());
        problems.rebuilt(WEB, List.of("web: SCTP"));
        assertEquals(List.of("web: SCTP", "web: bad address", "web: SCTP"), warnings);
    }

    @Test
    void eachServiceHasItsOwnProblems() {
        problems.rebuilt(WEB, List.of("frontend taken"));
        problems.rebuilt(API, List.of("frontend taken"));
        assertEquals(2, warnings.size(), warnings.toString());
    }

    @Test
    void problemsOfTheMomentAreLoggedEveryTime() {
        problems.happened(List.of("web: bind failed"));
        problems.happened(List.of("web: bind failed"));
        assertEquals(List.of("web: bind failed", "web: bind failed"), warnings);
    }

    @Test
    void aBatchOfThousandsOfProblemsOfTheMomentIsTenLinesAndACount() {
        problems.happened(IntStream.range(0, 9546).mapToObj(i -> "s" + i + ": bind failed").toList());
        assertEquals(ProblemLog.MOMENT_LINES + 1, warnings.size());
        assertEquals("s9: bind failed", warnings.get(ProblemLog.MOMENT_LINES - 1));
        assertTrue(warnings.get(ProblemLog.MOMENT_LINES).startsWith("... and 9536 more such problems in this batch"),
                warnings.get(ProblemLog.MOMENT_LINES));
    }
}
