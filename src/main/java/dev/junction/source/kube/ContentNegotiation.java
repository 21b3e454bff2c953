package dev.junction.source.kube;

import io.kubernetes.client.openapi.ApiClient;
import okhttp3.Call;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Accept header of the source's requests. With {@link ApiContentType#PROTOBUF}: protobuf first, JSON
 * accepted too (what kube-controller-manager sends; kube-apiserver answers JSON for resources it cannot encode
 * in protobuf, as custom resources); once the server refuses protobuf outright (406 Not Acceptable, or 415 from a
 * proxy in between), JSON alone for the rest of the process, as client-go's REST client falls back to its
 * second content type on 415. Shared by the source's watchers; thread-safe.
 */
final class ContentNegotiation {

    private static final Logger log = LoggerFactory.getLogger(ContentNegotiation.class);
    private static final String JSON = "application/json";
    private static final String PROTOBUF_OR_JSON = KubeProto.MEDIA_TYPE + ", " + JSON;
    private static final int NOT_ACCEPTABLE = 406;
    private static final int UNSUPPORTED_MEDIA_TYPE = 415;

    private final ApiClient client;
    private volatile boolean protobuf;

    ContentNegotiation(ApiClient client, ApiContentType preferred) {
        this.client = client;
        this.protobuf = preferred == ApiContentType.PROTOBUF;
    }

    /** True while protobuf is asked for. */
    boolean asksProtobuf() {
        return protobuf;
    }

    /** {@code call} (built by the generated API, which asks for JSON) asking for what this negotiation asks for. */
    Call accepting(Call call) {
        return client.getHttpClient().newCall(
                call.request().newBuilder().header("Accept", protobuf ? PROTOBUF_OR_JSON : JSON).build());
    }

    /**
     * True, and JSON alone asked for from now on, when {@code response} answers a request that asked for protobuf
     * with 406 or 415: the caller repeats the request.
     */
    boolean refused(Response response, String kind) {
        int code = response.code();
        String asked = response.request().header("Accept");
        if (code != NOT_ACCEPTABLE && code != UNSUPPORTED_MEDIA_TYPE || asked == null
                || !asked.startsWith(KubeProto.MEDIA_TYPE)) {
            return false;
        }
        synchronized (this) {
            if (protobuf) {
                protobuf = false;
                log.warn("Kubernetes API: the {} request asking for protobuf was answered {}; asking for JSON from now on",
                        kind, code);
            }
        }
        return true;
    }
}
