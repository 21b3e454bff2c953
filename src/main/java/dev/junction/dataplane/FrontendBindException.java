package dev.junction.dataplane;

import dev.junction.model.Frontend;

/** A frontend could not be bound (address in use, not local, no permission). */
public final class FrontendBindException extends Exception {

    public FrontendBindException(Frontend frontend, Throwable cause) {
        super("cannot listen on " + frontend + ": " + reason(cause), cause);
    }

    private static String reason(Throwable cause) {
        String m = cause.getMessage();
        return m == null ? cause.getClass().getSimpleName() : m;
    }
}
