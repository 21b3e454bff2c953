package dev.junction.control;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;

/**
 * Logs what the control plane finds wrong, each problem once. A Service's problems (from route building,
 * or a frontend another Service holds) are logged when a rebuild finds them and the previous rebuild did
 * not, so a Service with an SCTP port does not log on every change to its endpoints; one that goes away and
 * comes back is logged again. Failed binds are logged as they happen: they belong to no one rebuild. Used
 * only in the control context.
 */
final class ProblemLog {

    /** Problems of the moment written per batch; the rest are counted in one line. */
    static final int MOMENT_LINES = 10;

    private final Logger log;
    /** The problems last logged per Service that has any. */
    private final Map<ServiceKey, Set<String>> reported = new HashMap<>();

    /** Logs to {@code log}: the problems are the control plane's. */
    ProblemLog(Logger log) {
        this.log = log;
    }

    /** {@code problems}: everything the latest rebuild of {@code service} found. */
    void rebuilt(ServiceKey service, Collection<String> problems) {
        if (problems.isEmpty()) {
            if (!reported.isEmpty()) {
                reported.remove(service);
            }
            return;
        }
        Set<String> before = reported.getOrDefault(service, Set.of());
        for (String problem : problems) {
            if (!before.contains(problem)) {
                log.warn(problem);
            }
        }
        reported.put(service, Set.copyOf(problems));
    }

    /**
     * Problems of the moment, such as failed binds, logged now: the first {@link #MOMENT_LINES}, then one line
     * counting the rest (a restart beside a Junction still holding 10,000 ports wrote 9,546 lines at once).
     */
    void happened(Collection<String> problems) {
        int n = 0;
        for (String problem : problems) {
            if (++n > MOMENT_LINES) {
                break;
            }
            log.warn(problem);
        }
        if (problems.size() > MOMENT_LINES) {
            log.warn("... and {} more such problems in this batch (failed binds are retried every second; "
                    + "junction_frontend_bind_retries_failed_total counts the retries that fail)",
                    problems.size() - MOMENT_LINES);
        }
    }
}
