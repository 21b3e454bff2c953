package dev.junction.control;

import io.kubernetes.client.common.KubernetesObject;
import java.net.InetAddress;
import java.util.List;

/** What the control plane is told, stamped with when it was received (for event → live latency). Immutable. */
sealed interface Event {

    long receivedNanos();

    /** A source added or changed {@code object}. */
    record Upsert(KubernetesObject object, long receivedNanos) implements Event {
    }

    /** A source deleted {@code object}. */
    record Delete(KubernetesObject object, long receivedNanos) implements Event {
    }

    /** A source has delivered its initial state. */
    record Synced(long receivedNanos) implements Event {
    }

    /** This node's NodePort addresses, as newly read. */
    record NodePortAddresses(List<InetAddress> addresses, long receivedNanos) implements Event {
    }
}
