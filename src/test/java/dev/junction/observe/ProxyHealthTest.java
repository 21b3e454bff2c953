package dev.junction.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.junction.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * kube-proxy's ProxyHealthServer with an injected clock: its healthcheck_test.go TestHealthzServer and
 * TestLivezServer (testProxyHealthUpdater's steps with a 10 s limit), plus the start of a proxy that never syncs.
 */
class ProxyHealthTest {

    private static final Duration LIMIT = Duration.ofSeconds(10);

    private final ManualClock clock = new ManualClock();

    private static JsonObject body(ProxyHealth.Status status) {
        return JsonParser.parseString(status.json()).getAsJsonObject();
    }

    @Test
    void neverSyncedIsHealthyWithinTheLimitAfterStartThenUnhealthy() {
        ProxyHealth health = new ProxyHealth(clock, LIMIT);
        clock.advance(LIMIT.minusMillis(1));
        assertTrue(health.healthz().healthy(), "the first sync may take up to the limit");
        assertTrue(health.livez().healthy());

        clock.advance(Duration.ofMillis(1));
        ProxyHealth.Status healthz = health.healthz();
        assertFalse(healthz.healthy(), "no sync within the limit after start");
        assertFalse(health.livez().healthy(), "/livez looks at the queue: the first sync is in it");
        JsonObject body = body(healthz);
        assertEquals("0001-01-01T00:00:00Z", body.get("lastUpdated").getAsString(), "Go's zero time: never updated");
        assertEquals(clock.now().toString(), body.get("currentTime").getAsString());
        assertFalse(body.get("healthy").getAsBoolean());
        assertTrue(body.get("nodeEligible").getAsBoolean());

        health.applied();
        assertTrue(health.healthz().healthy());
        assertTrue(health.livez().healthy());
    }

    /** Readiness (the ready file) waits for the first sync, which /healthz, as kube-proxy's, does not. */
    @Test
    void readyOnlyOnceAFirstSyncIsAppliedAndWhileHealthy() {
        ProxyHealth health = new ProxyHealth(clock, LIMIT);
        assertTrue(health.healthz().healthy());
        assertFalse(health.ready(), "not ready before the first sync");
        health.applied();
        assertTrue(health.ready());
        health.stopping();
        assertFalse(health.ready(), "not ready once stopping");
    }

    /** testProxyHealthUpdater: healthy while nothing is queued, however long;
     * unhealthy once a queued update is late. */
    @Test
    void unhealthyOnlyWhileAQueuedUpdateIsLate() {
        ProxyHealth health = new ProxyHealth(clock, LIMIT);
        health.applied();
        Instant applied = clock.now();
        clock.advance(Duration.ofSeconds(25));
        assertTrue(health.healthz().healthy(), "nothing queued: healthy for as long as that lasts");

        health.queued();
        clock.advance(Duration.ofSeconds(5));
        health.queued();
        clock.advance(Duration.ofSeconds(5));
        ProxyHealth.Status late = health.livez();
        assertFalse(late.healthy(), "the oldest queued update decides, not the newest");
        assertEquals(applied.toString(), body(late).get("lastUpdated").getAsString(), "the last applied batch");

        health.applied();
        clock.advance(Duration.ofSeconds(5));
        ProxyHealth.Status healthy = health.healthz();
        assertTrue(healthy.healthy());
        JsonObject body = body(healthy);
        assertEquals(body.get("currentTime").getAsString(), body.get("lastUpdated").getAsString(),
                "healthy: lastUpdated is the current time, as kube-proxy answers");
        assertEquals(clock.now().toString(), body.get("currentTime").getAsString());
    }

    /**
     * TestHealthzServer's node steps and kube-proxy's NodeEligible, false while it has no Node; TestLivezServer:
     * /livez ignores the node.
     */
    @Test
    void healthzWaitsForTheNodeAndFollowsItsEligibilityWhileLivezIgnoresIt() {
        ProxyHealth health = new ProxyHealth(clock, LIMIT, true);
        health.applied();
        ProxyHealth.Status healthz = health.healthz();
        assertFalse(healthz.healthy(), "this node's Node object has not been read");
        assertFalse(body(healthz).get("nodeEligible").getAsBoolean());
        ProxyHealth.Status livez = health.livez();
        assertTrue(livez.healthy());
        assertFalse(body(livez).has("nodeEligible"), "kube-proxy's /livez body has no nodeEligible");

        health.nodeEligible(true);
        assertTrue(health.healthz().healthy());
        health.nodeEligible(false);
        assertFalse(health.healthz().healthy(), "deleted or tainted ToBeDeletedByClusterAutoscaler");
        assertTrue(health.livez().healthy());
    }
}
