package dev.junction.control;

import java.util.function.Supplier;

/** Runs test code in a control context of its own, where control state may be touched. */
final class InContext {

    final ControlContext<Object> context = new ControlContext<>(batch -> {
    });

    /** {@code work}'s result, computed in the context; what it throws is thrown here. */
    <T> T call(Supplier<T> work) {
        Object[] result = new Object[1];
        RuntimeException[] thrown = new RuntimeException[1];
        context.execute(() -> {
            try {
                result[0] = work.get();
            } catch (RuntimeException e) {
                // The context would log it and carry on; the test must fail.
                thrown[0] = e;
            }
        });
        if (thrown[0] != null) {
            throw thrown[0];
        }
        @SuppressWarnings("unchecked")
        T t = (T) result[0];
        return t;
    }
}
