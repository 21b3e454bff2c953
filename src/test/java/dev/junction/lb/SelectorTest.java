package dev.junction.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.model.Endpoint;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/**
 * The selection strategies on their own, with injected random sources. Distribution tests follow Envoy's:
 * a fixed seed makes them deterministic, and the observed share must lie within five standard deviations
 * of a binomial share at the test's sample size, so the bound says how close, not just "roughly even".
 */
class SelectorTest {

    private static final long NOW = 1_000_000_000L;
    private static final int PICKS = 100_000;

    // Least-connections tables of up to SCAN_LIMIT endpoints are scanned; these are drawn from.
    private static final int TWO_CHOICES_SIZE = LeastConnectionsSelector.SCAN_LIMIT + 2;

    private static EndpointState[] states(int n) {
        EndpointState[] states = new EndpointState[n];
        for (int i = 0; i < n; i++) {
            states[i] = new EndpointState(Endpoint.of("10.0.0." + (i + 1), 80), Ejection.DEFAULT);
        }
        return states;
    }

    private static void open(EndpointState state, int connections) {
        for (int c = 0; c < connections; c++) {
            state.connectionOpened();
        }
    }

    private static void eject(EndpointState state) {
        for (int f = 0; f < Ejection.DEFAULT.consecutiveFailures(); f++) {
            state.failed(NOW);
        }
        assertTrue(state.ejected(NOW));
    }

    private static Map<EndpointState, Integer> picks(Selector selector, EndpointState[] states, int n) {
        Map<EndpointState, Integer> counts = new IdentityHashMap<>();
        for (int i = 0; i < n; i++) {
            counts.merge(selector.select(states, null, NOW), 1, Integer::sum);
        }
        return counts;
    }

    private static void assertShare(double expected, Map<EndpointState, Integer> counts, EndpointState state,
            int picks) {
        double observed = counts.getOrDefault(state, 0) / (double) picks;
        double tolerance = 5 * Math.sqrt(expected * (1 - expected) / picks);
        assertEquals(expected, observed, tolerance, state + " share of " + picks + " picks");
    }

    /** Hands out the given indexes in order, checking each against the bound the selector asks for. */
    private static final class ScriptedRandom implements RandomGenerator {
        private final Deque<Integer> next = new ArrayDeque<>();

        ScriptedRandom(int... indexes) {
            for (int i : indexes) {
                next.add(i);
            }
        }

        @Override
        public int nextInt(int bound) {
            int i = next.remove();
            assertTrue(i >= 0 && i < bound, i + " out of [0, " + bound + ")");
            return i;
        }

        @Override
        public long nextLong() {
            throw new AssertionError("the selector draws indexes only");
        }
    }

    private static Selector leastConnections(RandomGenerator random) {
        return Selector.leastConnections(() -> random);
    }

    /** One least-connections pick whose random draws are {@code draws}, in order. */
    private static EndpointState pick(EndpointState[] states, EndpointState[] excluded, int... draws) {
        return leastConnections(new ScriptedRandom(draws)).select(states, excluded, NOW);
    }

    @Test
    void twoChoicesPickTheLessLoadedCandidateNotTheTableMinimum() {
        EndpointState[] states = states(TWO_CHOICES_SIZE);
        open(states[2], 5);
        open(states[7], 1);
        assertSame(states[7], pick(states, null, 2, 6), "candidates 2 and 7 (the second index skips the first)");
        assertSame(states[7], pick(states, null, 7, 2), "the same candidates drawn the other way round");
    }

    @Test
    void twoChoicesNeverDrawTheSameEndpointTwice() {
        EndpointState[] states = states(TWO_CHOICES_SIZE);
        open(states[3], 2);
        open(states[4], 1);
        assertSame(states[4], pick(states, null, 3, 3), "a second draw equal to the first moves to the next endpoint");
    }

    @Test
    void twoChoicesSkipAnEjectedOrExcludedCandidate() {
        EndpointState[] states = states(TWO_CHOICES_SIZE);
        open(states[4], 5);
        eject(states[1]);
        assertSame(states[4], pick(states, null, 1, 3), "ejected 1 is idle but skipped for loaded 4");
        assertSame(states[4], pick(states, new EndpointState[] {states[0]}, 0, 3),
                "excluded 0 is skipped for loaded 4");
    }

    @Test
    void twoChoicesFallBackToTheExactMinimumWhenNeitherCandidateIsUsable() {
        EndpointState[] states = states(TWO_CHOICES_SIZE);
        for (int k = 0; k < states.length; k++) {
            open(states[k], k == 6 ? 1 : 3);
        }
        eject(states[0]);
        eject(states[1]);
        assertSame(states[6], pick(states, null, 0, 0, 0),
                "candidates 0 and 1 are ejected; the scan from offset 0 finds 6");
    }

    @Test
    void tablesOfUpToTheScanLimitAlwaysGetTheExactMinimum() {
        EndpointState[] states = states(LeastConnectionsSelector.SCAN_LIMIT);
        for (int k = 0; k < states.length; k++) {
            open(states[k], k == 5 ? 1 : 2);
        }
        assertEquals(Map.of(states[5], 1000), picks(leastConnections(new SplittableRandom(7)), states, 1000));
    }

    @Test
    void tablesOverTheScanLimitSpreadPicksBeyondTheMinimum() {
        EndpointState[] states = states(LeastConnectionsSelector.SCAN_LIMIT + 1);
        for (int k = 0; k < states.length; k++) {
            open(states[k], k == 5 ? 1 : 2);
        }
        Map<EndpointState, Integer> counts = picks(leastConnections(new SplittableRandom(7)), states, PICKS);
        // Two distinct draws include the minimum with probability 2/n.
        assertShare(2.0 / states.length, counts, states[5], PICKS);
    }

    @Test
    void twoChoicesShareFollowsTheLoadRanking() {
        int n = TWO_CHOICES_SIZE;
        EndpointState[] states = states(n);
        for (int k = 0; k < n; k++) {
            open(states[k], 10 * k);
        }
        Map<EndpointState, Integer> counts = picks(leastConnections(new SplittableRandom(11)), states, PICKS);
        for (int k = 0; k < n; k++) {
            // Endpoint k wins when it is drawn with one of the n-1-k more loaded ones: 2(n-1-k) of n(n-1) pairs.
            assertShare(2.0 * (n - 1 - k) / (n * (n - 1.0)), counts, states[k], PICKS);
        }
    }

    @Test
    void heavilyLoadedEndpointsGetOnlyThePicksWhereBothChoicesAreHeavy() {
        int n = 12;
        int heavy = 3;
        EndpointState[] states = states(n);
        for (int k = 0; k < n; k++) {
            open(states[k], k < heavy ? 300 : 1 + k % 4);
        }
        Map<EndpointState, Integer> counts = picks(leastConnections(new SplittableRandom(13)), states, PICKS);
        for (int k = 0; k < heavy; k++) {
            // A heavy endpoint wins only when drawn first with another heavy one second (a tie keeps the first).
            assertShare((heavy - 1) / (n * (n - 1.0)), counts, states[k], PICKS);
        }
    }

    @Test
    void ejectedEndpointsArePickedOnlyWhenNothingElseIsLeft() {
        EndpointState[] states = states(TWO_CHOICES_SIZE);
        for (int k = 1; k < states.length; k++) {
            eject(states[k]);
        }
        open(states[0], 50);
        Selector selector = leastConnections(new SplittableRandom(17));
        assertEquals(Map.of(states[0], 1000), picks(selector, states, 1000), "the one usable endpoint, however loaded");

        eject(states[0]);
        assertEquals(states.length - 1, picks(selector, states, 1000).size(),
                "with everything ejected, picks spread over all but the loaded one");

        assertNull(selector.select(states, states.clone(), NOW), "nothing at all when everything is excluded");
    }

    @Test
    void leastConnectionsSpreadsTiesEvenly() {
        EndpointState[] states = states(5);
        for (EndpointState s : states) {
            open(s, 4);
        }
        Map<EndpointState, Integer> counts = picks(leastConnections(new SplittableRandom(19)), states, PICKS);
        for (EndpointState s : states) {
            assertShare(1.0 / states.length, counts, s, PICKS);
        }
    }

    @Test
    void roundRobinGivesEveryEndpointAnEqualShareFromAnyRandomStart() {
        EndpointState[] states = states(7);
        for (long seed = 1; seed <= 20; seed++) {
            Map<EndpointState, Integer> counts = picks(Selector.roundRobin(new SplittableRandom(seed)), states,
                    states.length * 100);
            for (EndpointState s : states) {
                assertEquals(100, counts.get(s), s + " with seed " + seed);
            }
        }
    }

    @Test
    void roundRobinCursorsStartEvenlyAcrossTheTable() {
        EndpointState[] states = states(7);
        Map<EndpointState, Integer> firstPicks = new IdentityHashMap<>();
        SplittableRandom fleet = new SplittableRandom(23);
        int selectors = 7000;
        for (int i = 0; i < selectors; i++) {
            firstPicks.merge(Selector.roundRobin(fleet.split()).select(states, null, NOW), 1, Integer::sum);
        }
        for (EndpointState s : states) {
            assertShare(1.0 / states.length, firstPicks, s, selectors);
        }
    }

    @Test
    void roundRobinStaysEvenWhenItsCursorWrapsAround() {
        EndpointState[] states = states(3);
        Selector selector = new RoundRobinSelector(new AtomicInteger(Integer.MAX_VALUE - 5));
        Map<EndpointState, Integer> counts = picks(selector, states, 300);
        for (EndpointState s : states) {
            int count = counts.get(s);
            assertTrue(Math.abs(count - 100) <= 1, s + " picked " + count + " of 300 across the wrap");
        }
    }

    /**
     * kube-proxy's userspace roundrobin_test.go TestLoadBalanceWorksWithMultipleEndpoints, with endpoints
     * ejected: the usable ones still take strict turns. An ejected endpoint's turn used to pass to the one
     * after it, which then got two turns a round (75 / 150 / 75 over three live endpoints and a dead one).
     */
    @Test
    void roundRobinSharesTheTurnsOfEjectedEndpointsEvenlyAmongTheRest() {
        int[][] layouts = {{1}, {2, 3, 6}, {0, 4, 5, 6}};
        int[] sizes = {4, 7, 7};
        for (int l = 0; l < layouts.length; l++) {
            EndpointState[] states = states(sizes[l]);
            for (int k : layouts[l]) {
                eject(states[k]);
            }
            int live = states.length - layouts[l].length;
            for (long seed = 1; seed <= 20; seed++) {
                Map<EndpointState, Integer> counts = picks(Selector.roundRobin(new SplittableRandom(seed)), states,
                        live * 100);
                for (EndpointState s : states) {
                    assertEquals(s.ejected(NOW) ? 0 : 100, counts.getOrDefault(s, 0),
                            s + " with seed " + seed + ": " + counts);
                }
            }
        }
    }

    @Test
    void roundRobinStaysEvenAroundAnEjectedEndpointUnderConcurrentPicks() throws Exception {
        EndpointState[] states = states(4);
        eject(states[1]);
        Selector selector = Selector.roundRobin(new SplittableRandom(29));
        int threads = 4;
        int perThread = 30_000;
        CountDownLatch start = new CountDownLatch(1);
        List<CompletableFuture<Map<EndpointState, Integer>>> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(CompletableFuture.supplyAsync(() -> {
                awaitUninterruptibly(start);
                return picks(selector, states, perThread);
            }, runnable -> new Thread(runnable, "picker").start()));
        }
        start.countDown();
        Map<EndpointState, Integer> counts = new IdentityHashMap<>();
        for (CompletableFuture<Map<EndpointState, Integer>> w : workers) {
            w.get(30, TimeUnit.SECONDS).forEach((s, c) -> counts.merge(s, c, Integer::sum));
        }
        // Every turn is taken by exactly one pick, so however the threads interleave, the three usable
        // endpoints' counts are the turns that fell on them: equal to within one.
        int expected = threads * perThread / 3;
        for (EndpointState s : states) {
            int count = counts.getOrDefault(s, 0);
            if (s.ejected(NOW)) {
                assertEquals(0, count, s + ": " + counts);
            } else {
                assertTrue(Math.abs(count - expected) <= 1, s + " picked " + count + " times: " + counts);
            }
        }
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void roundRobinFallsBackInTurnWhenEveryEndpointIsEjectedOrTried() {
        EndpointState[] states = states(4);
        for (EndpointState s : states) {
            eject(s);
        }
        Selector selector = Selector.roundRobin(new SplittableRandom(31));
        Map<EndpointState, Integer> counts = picks(selector, states, 400);
        for (EndpointState s : states) {
            assertEquals(100, counts.get(s), "ejected endpoints are guessed in turn: " + counts);
        }
        EndpointState[] tried = {states[0], states[2], states[3]};
        for (int i = 0; i < 10; i++) {
            assertSame(states[1], selector.select(states, tried, NOW), "the one ejected endpoint not yet tried");
        }
        assertNull(selector.select(states, states.clone(), NOW), "nothing at all when everything is excluded");
    }
}
