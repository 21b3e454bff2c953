package dev.junction.observe;

/**
 * What the control plane tells the health server: an update was queued, a batch was applied, and whether
 * this node may serve (not being deleted or drained by the cluster autoscaler). Called from source threads
 * ({@link #queued}) and in the control context (the rest); implementations are thread-safe.
 */
public interface SyncHealth {

    /** Ignores everything: a control plane without a health server. */
    SyncHealth NONE = new SyncHealth() {
        @Override
        public void queued() {
        }

        @Override
        public void applied() {
        }

        @Override
        public void nodeEligible(boolean eligible) {
        }

        @Override
        public void sourceStalled(boolean stalled) {
        }
    };

    /** An update entered the queue; the oldest unapplied one decides health. */
    void queued();

    /** Everything queued so far is live. */
    void applied();

    /** False while this node is being deleted or is tainted {@code ToBeDeletedByClusterAutoscaler}. */
    void nodeEligible(boolean eligible);

    /** True while a source cannot follow the desired state (its credentials are refused), false once it can. */
    void sourceStalled(boolean stalled);
}
