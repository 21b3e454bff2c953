package dev.junction.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** What an operator watching a long initial sync reads: progress at most every 5 s, then the totals and times. */
class SyncProgressTest {

    private final AtomicLong nanos = new AtomicLong(1_000);
    private final SyncProgress progress = new SyncProgress(nanos::get);

    private void advanceMillis(long millis) {
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    @Test
    void aLongInitialSyncLogsObjectsListedEveryIntervalThenTheTotalsAndTimes() {
        advanceMillis(4_000);
        assertEquals(Optional.empty(), progress.listed(500, 100), "a short sync logs no progress line");
        advanceMillis(1_000);
        assertEquals(Optional.of("initial sync: 1500 objects listed so far, 300 services, 5.0s"), progress.listed(1000, 300));
        advanceMillis(4_900);
        assertEquals(Optional.empty(), progress.listed(1000, 500), "one line per interval");
        advanceMillis(100);
        assertEquals(Optional.of("initial sync: 3500 objects listed so far, 600 services, 10.0s"), progress.listed(1000, 600));
        advanceMillis(2_000);
        progress.synced(10);
        advanceMillis(1_500);
        assertEquals("sources synced: 600 services, 590 frontends listening; 3510 objects listed in 12.0s, "
                + "programmed in 1.5s", progress.programmed(600, 590));
    }
}
