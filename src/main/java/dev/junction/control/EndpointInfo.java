package dev.junction.control;

import dev.junction.model.Endpoint;
import java.util.Objects;
import java.util.Set;

/**
 * One merged endpoint of one Service port, as kube-proxy's endpoint info: the address and port, and the
 * slice endpoint it came from for its node, conditions and topology hints. Immutable.
 */
record EndpointInfo(Endpoint endpoint, SliceEndpoint source) {

    EndpointInfo {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(source, "source");
    }

    /** The node it runs on; null when unknown. */
    String nodeName() {
        return source.nodeName();
    }

    boolean ready() {
        return source.ready();
    }

    boolean serving() {
        return source.serving();
    }

    boolean terminating() {
        return source.terminating();
    }

    boolean servingTerminating() {
        return source.servingTerminating();
    }

    Set<String> nodeHints() {
        return source.nodeHints();
    }

    Set<String> zoneHints() {
        return source.zoneHints();
    }
}
