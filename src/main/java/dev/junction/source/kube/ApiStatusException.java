package dev.junction.source.kube;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import okhttp3.HttpUrl;
import okhttp3.Response;

/** The API server answered a list or watch with an error status (HTTP or a watch ERROR event). */
final class ApiStatusException extends Exception {

    private static final int MAX_BODY_CHARS = 300;
    private static final int FORBIDDEN = 403;
    private static final String TOO_LARGE_CAUSE = "ResourceVersionTooLarge";
    /** What API servers before 1.18.6 said instead of the cause (client-go still checks for it). */
    private static final String TOO_LARGE_MESSAGE = "Too large resource version";

    private final int code;
    private final boolean tooLargeResourceVersion;
    /** What the server said, without the status code. */
    private final String detail;

    private ApiStatusException(int code, String message) {
        this(code, message, false);
    }

    private ApiStatusException(int code, String message, boolean tooLargeResourceVersion) {
        super("API server answered " + code + (message == null || message.isBlank() ? "" : ": " + message));
        this.code = code;
        this.tooLargeResourceVersion = tooLargeResourceVersion;
        this.detail = message == null || message.isBlank() ? "no message" : message;
    }

    /**
     * From a failed response, with the Status message when the body is one. A 403 first names the permission
     * the request needed, from the request itself (the Status message of another server may not say it).
     */
    static ApiStatusException of(Response response) {
        ApiStatusException e = withBody(response);
        if (response.code() != FORBIDDEN) {
            return e;
        }
        return new ApiStatusException(FORBIDDEN, "missing RBAC permission " + permission(response.request().url())
                + " (grant it in the proxy's ClusterRole): " + e.detail);
    }

    /**
     * The RBAC rule a list or watch of a collection needs: verb, resource and API group, as kube-apiserver's
     * RequestInfoFactory reads them from the path ({@code /api/v1/R}, {@code /apis/G/V/R}, with
     * {@code namespaces/N/} before {@code R} when namespaced) and the {@code watch} parameter.
     */
    static String permission(HttpUrl url) {
        List<String> path = url.pathSegments();
        String group = !path.isEmpty() && path.get(0).equals("apis") && path.size() > 1 ? path.get(1) : "";
        String resource = path.isEmpty() ? "" : path.get(path.size() - 1);
        boolean namespaced = path.size() >= 3 && path.get(path.size() - 3).equals("namespaces");
        String verb = "true".equals(url.queryParameter("watch")) ? "watch" : "list";
        return "\"" + verb + "\" on \"" + resource + "\" in API group \"" + group + "\""
                + (namespaced ? " in namespace " + path.get(path.size() - 2) : " cluster-wide");
    }

    private static ApiStatusException withBody(Response response) {
        byte[] bytes;
        try {
            bytes = response.body().bytes();
        } catch (IOException | RuntimeException e) {
            return new ApiStatusException(response.code(), response.message());
        }
        JsonObject status = null;
        String body;
        if (KubeProto.isProtobuf(response.header("Content-Type"))) {
            // kube-apiserver encodes a failure's Status as it would have encoded the answer (ErrorNegotiated).
            try {
                status = KubeProto.status(KubeProto.unwrap(new ProtoReader(bytes, 0, bytes.length)));
            } catch (ProtoException e) {
                // Not a Status: the message shows the start of the body instead.
            }
            body = new String(bytes, StandardCharsets.ISO_8859_1);
        } else {
            body = new String(bytes, StandardCharsets.UTF_8);
            try {
                JsonElement json = JsonParser.parseString(body);
                status = json.isJsonObject() ? json.getAsJsonObject() : null;
            } catch (RuntimeException e) {
                // Not a Status: the message shows the start of the body instead.
            }
        }
        if (status != null && string(status, "message") != null) {
            return of(response.code(), status);
        }
        String flat = body.strip().replaceAll("\\s+", " ");
        return new ApiStatusException(response.code(),
                flat.length() > MAX_BODY_CHARS ? flat.substring(0, MAX_BODY_CHARS) + "..." : flat);
    }

    /** From a Status object: a failed response's body or a watch ERROR event's object. */
    static ApiStatusException of(int code, JsonObject status) {
        return new ApiStatusException(code, string(status, "message"), tooLargeResourceVersion(status));
    }

    /** The HTTP status, or the Status object's code for a watch ERROR event. */
    int code() {
        return code;
    }

    /**
     * The server has not reached the resourceVersion asked for (504, reason Timeout, cause
     * ResourceVersionTooLarge): recognised as client-go's reflector does (isTooLargeResourceVersionError).
     */
    boolean tooLargeResourceVersion() {
        return tooLargeResourceVersion;
    }

    private static boolean tooLargeResourceVersion(JsonObject status) {
        JsonElement details = status.get("details");
        JsonElement causes = details != null && details.isJsonObject() ? details.getAsJsonObject().get("causes") : null;
        boolean timeout = "Timeout".equals(string(status, "reason"));
        if (causes != null && causes.isJsonArray()) {
            for (JsonElement cause : causes.getAsJsonArray()) {
                if (cause.isJsonObject() && (TOO_LARGE_CAUSE.equals(string(cause.getAsJsonObject(), "reason"))
                        || timeout && TOO_LARGE_MESSAGE.equals(string(cause.getAsJsonObject(), "message")))) {
                    return true;
                }
            }
        }
        String message = string(status, "message");
        return timeout && message != null && message.contains(TOO_LARGE_MESSAGE);
    }

    private static String string(JsonObject object, String field) {
        JsonElement e = object.get(field);
        return e != null && e.isJsonPrimitive() ? e.getAsString() : null;
    }
}
