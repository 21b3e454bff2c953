package dev.junction.source.kube;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.io.IOException;
import okhttp3.Response;

/** The API server answered a list or watch with an error status (HTTP or a watch ERROR event). */
final class ApiStatusException extends Exception {

    private static final int MAX_BODY_CHARS = 300;

    ApiStatusException(int code, String message) {
        super("API server answered " + code + (message == null || message.isBlank() ? "" : ": " + message));
    }

    /** From a failed response, with the Status message when the body is one. */
    static ApiStatusException of(Response response) {
        String message;
        try {
            String body = response.body().string();
            message = statusMessage(body);
        } catch (IOException | RuntimeException e) {
            message = response.message();
        }
        return new ApiStatusException(response.code(), message);
    }

    private static String statusMessage(String body) {
        try {
            JsonElement message = JsonParser.parseString(body).getAsJsonObject().get("message");
            if (message != null && message.isJsonPrimitive()) {
                return message.getAsString();
            }
        } catch (RuntimeException e) {
            // Not a Status: show the start of the body instead.
        }
        String flat = body.strip().replaceAll("\\s+", " ");
        return flat.length() > MAX_BODY_CHARS ? flat.substring(0, MAX_BODY_CHARS) + "..." : flat;
    }
}
