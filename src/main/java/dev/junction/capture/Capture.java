package dev.junction.capture;

import dev.junction.model.Frontend;

/**
 * How traffic for a frontend's virtual address reaches this host so a listener can take it. Called from
 * the control thread around opening and closing listeners.
 */
public interface Capture {

    /** Makes the frontend's address deliverable here; false when this mode cannot (the frontend is skipped). */
    boolean claim(Frontend frontend);

    /** The listener for this frontend is closed; undo what {@link #claim} installed for it, if anything. */
    void release(Frontend frontend);

    /** Standalone mode: installs nothing and serves only addresses that are already local. */
    static Capture none() {
        return new NoCapture();
    }
}
