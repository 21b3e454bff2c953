package dev.junction.control;

import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.util.Objects;

/** Identifies a Service by namespace and name; slices reach their Service through it. Immutable. */
public record ServiceKey(String namespace, String name) {

    public ServiceKey {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
    }

    /** Never throws: a missing namespace or name becomes empty, so a malformed object still has a key. */
    public static ServiceKey of(V1ObjectMeta meta) {
        if (meta == null) {
            return new ServiceKey("", "");
        }
        return new ServiceKey(
                Objects.requireNonNullElse(meta.getNamespace(), ""), Objects.requireNonNullElse(meta.getName(), ""));
    }

    @Override
    public String toString() {
        return namespace + '/' + name;
    }
}
