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

    /** Problems of the moment, such as failed binds: each logged now. */
    void happened(Collection<String> problems) {
        problems.forEach(log::warn);
    }
}
