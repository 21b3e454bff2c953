package dev.junction.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Which problems are logged, and how often. */
class ProblemLogTest {

    private static final String LOGGER = ProblemLogTest.class.getName();
    private static final ServiceKey WEB = new ServiceKey("ns", "web");
    private static final ServiceKey API = new ServiceKey("ns", "api");

    private final List<String> warnings = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (record.getLevel() == Level.WARNING) {
                warnings.add(record.getMessage());
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private final ProblemLog problems = new ProblemLog(LoggerFactory.getLogger(LOGGER));

    ProblemLogTest() {
        Logger.getLogger(LOGGER).addHandler(capture);
    }

    @AfterEach
    void tearDown() {
        Logger.getLogger(LOGGER).removeHandler(capture);
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
}
