package dev.junction.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/** How evenly a proxy spreads new clients over its backends, placed one after another. */
public final class Shares {

    private Shares() {
    }

    /**
     * Places {@code clients} new clients in turn ({@code servedBy} connects the {@code i}-th and returns the
     * name of the backend that served it) and asserts that each of {@code backends} served an equal share,
     * give or take {@code tolerance}.
     */
    public static void assertEven(List<String> backends, int clients, int tolerance, IntFunction<String> servedBy) {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < clients; i++) {
            counts.merge(servedBy.apply(i), 1, Integer::sum);
        }
        int share = clients / backends.size();
        for (String b : backends) {
            int n = counts.getOrDefault(b, 0);
            assertTrue(Math.abs(n - share) <= tolerance,
                    b + " served " + n + " of " + clients + " clients, not " + share + " ± " + tolerance + ": " + counts);
        }
    }
}
