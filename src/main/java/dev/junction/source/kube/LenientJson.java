package dev.junction.source.kube;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import io.kubernetes.client.openapi.JSON;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.Date;
import java.util.List;

/**
 * Makes client-java decode objects that carry fields it does not know. Its generated models are
 * registered in {@link JSON}'s Gson with type adapter factories whose {@code validateJsonElement}
 * throws on any unknown field, so one new field from a newer API server would stop a watch for good.
 * {@link #install()} replaces that Gson with one built the same way minus those factories: the models
 * are then decoded by Gson's reflective adapter, which ignores unknown fields. What the proxy relies on
 * is checked afterwards by the {@code ObjectValidator}.
 *
 * <p>Process-wide ({@link JSON} is static); idempotent and thread-safe.
 */
public final class LenientJson {

    private static boolean installed;

    private LenientJson() {
    }

    public static synchronized void install() {
        if (installed) {
            return;
        }
        Gson strict = JSON.getGson();
        // createGson() keeps the V1Status pre-processor and the managedFields exclusion; the scalar
        // adapters are the ones JSON registers next, taken from the strict instance.
        GsonBuilder lenient = JSON.createGson();
        for (Class<?> type : List.of(Date.class, java.sql.Date.class, OffsetDateTime.class, LocalDate.class,
                byte[].class)) {
            lenient.registerTypeAdapter(type, strict.getAdapter(type));
        }
        JSON.setGson(lenient.create());
        installed = true;
    }
}
