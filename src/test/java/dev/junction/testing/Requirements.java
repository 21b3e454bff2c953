package dev.junction.testing;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * What a test needs from the machine (root, network namespaces, a tool): missing, it fails under CI
 * ({@code CI=true}, where .ci/run provides everything) and is skipped, with the reason, elsewhere.
 */
public final class Requirements {

    private Requirements() {
    }

    /** Returns when {@code met}; otherwise fails (CI) or aborts the test (elsewhere) with {@code reason}. */
    public static void require(boolean met, String reason) {
        if (met) {
            return;
        }
        if ("true".equals(System.getenv("CI"))) {
            Assertions.fail("CI must provide this test's needs: " + reason);
        }
        Assumptions.abort(reason);
    }
}
