package dev.junction.capture;

import dev.junction.model.Frontend;

/**
 * How traffic for a frontend's virtual address reaches this host so a listener can take it. Called in
 * the control context around opening and closing listeners; {@link #close} after the control plane closed.
 */
public interface Capture extends AutoCloseable {

    /** Makes the frontend's address deliverable here; false when this mode cannot (the frontend is skipped). */
    boolean claim(Frontend frontend);

    /** The listener for this frontend is closed; undo what {@link #claim} installed for it, if anything. */
    void release(Frontend frontend);

    /**
     * Applies the claims and releases since the last flush to the host at once. The control plane calls it
     * after every applied batch (also when the batch changed nothing: the first call reconciles).
     */
    default void flush() {
    }

    /** Junction is stopping: remove what this capture installed, unless it was told to keep it. */
    @Override
    default void close() {
    }

    /** Standalone mode: installs nothing and serves only addresses that are already local. */
    static Capture none() {
        return new NoCapture();
    }
}
