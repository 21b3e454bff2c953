package dev.junction.source.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.Test;

/**
 * Telling "too large resource version" apart from other failures, in the forms client-go's reflector accepts;
 * the permission a 403 refused, read from the request as kube-apiserver's RequestInfoFactory reads it.
 */
class ApiStatusExceptionTest {

    private static ApiStatusException of(String status) {
        JsonObject json = JsonParser.parseString(status).getAsJsonObject();
        return ApiStatusException.of(json.get("code").getAsInt(), json);
    }

    @Test
    void theCauseMarksATooLargeResourceVersion() {
        ApiStatusException e = of("""
                {"kind": "Status", "status": "Failure", "code": 504, "reason": "Timeout",
                 "message": "Timeout: Too large resource version: 500, current: 300",
                 "details": {"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
                             "retryAfterSeconds": 1}}
                """);
        assertTrue(e.tooLargeResourceVersion());
        assertEquals("API server answered 504: Timeout: Too large resource version: 500, current: 300", e.getMessage());
    }

    /** API servers 1.17.0-1.18.5 gave the cause's message without its reason (reflector.go says so). */
    @Test
    void theCauseMessageOfATimeoutMarksItOnOlderServers() {
        assertTrue(of("""
                {"code": 504, "reason": "Timeout", "message": "Timeout: Too large resource version: 500, current: 300",
                 "details": {"causes": [{"message": "Too large resource version"}]}}
                """).tooLargeResourceVersion());
    }

    /** API servers before 1.17 said it in the message only. */
    @Test
    void theMessageOfATimeoutMarksItOnOlderServersStill() {
        assertTrue(of("""
                {"code": 504, "reason": "Timeout", "message": "Timeout: Too large resource version: 500, current: 300"}
                """).tooLargeResourceVersion());
    }

    @Test
    void otherFailuresAreNot() {
        assertFalse(of("""
                {"code": 504, "reason": "Timeout", "message": "Timeout: request did not complete within 60s"}
                """).tooLargeResourceVersion());
        assertFalse(of("""
                {"code": 500, "reason": "InternalError", "message": "Too large resource version, says a proxy"}
                """).tooLargeResourceVersion());
        assertFalse(of("""
                {"code": 410, "reason": "Expired", "message": "too old resource version: 5 (300)"}
                """).tooLargeResourceVersion());
    }

    @Test
    void permissionOfAListOrWatchIsReadFromThePath() {
        assertEquals("\"list\" on \"services\" in API group \"\" cluster-wide",
                ApiStatusException.permission(HttpUrl.get("https://api:6443/api/v1/services?limit=500")));
        assertEquals("\"watch\" on \"endpointslices\" in API group \"discovery.k8s.io\" cluster-wide",
                ApiStatusException.permission(HttpUrl.get(
                        "https://api:6443/apis/discovery.k8s.io/v1/endpointslices?watch=true&resourceVersion=5")));
        assertEquals("\"list\" on \"services\" in API group \"\" in namespace shop",
                ApiStatusException.permission(HttpUrl.get("https://api:6443/api/v1/namespaces/shop/services")));
    }
}
