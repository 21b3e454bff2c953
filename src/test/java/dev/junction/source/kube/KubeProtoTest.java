package dev.junction.source.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.junction.testing.KubeProtobuf;
import io.kubernetes.client.openapi.JSON;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1Service;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The protobuf decoder against kubernetes' own generated messages ({@link KubeProtobuf}): every field Junction
 * reads decodes to what the JSON decoder makes of the same object.
 */
class KubeProtoTest {

    /** Every field the proxy reads of a Service, set; kube-proxy's ServiceChangeTracker reads the same ones. */
    private static final String SERVICE = """
            {"metadata": {"name": "web", "namespace": "shop", "resourceVersion": "7",
                          "labels": {"app": "web", "empty": ""}, "annotations": {"a": "b"},
                          "deletionTimestamp": "2026-01-02T03:04:05Z"},
             "spec": {"type": "LoadBalancer", "clusterIP": "10.0.0.1", "clusterIPs": ["10.0.0.1", "fd00::1"],
                      "ipFamilies": ["IPv4", "IPv6"], "ipFamilyPolicy": "PreferDualStack",
                      "externalIPs": ["192.0.2.1"], "loadBalancerSourceRanges": ["198.51.100.0/24"],
                      "sessionAffinity": "ClientIP", "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 60}},
                      "externalTrafficPolicy": "Local", "internalTrafficPolicy": "Cluster", "healthCheckNodePort": 31000,
                      "ports": [{"name": "http", "protocol": "TCP", "port": 80, "nodePort": 30080},
                                {"name": "dns", "protocol": "UDP", "port": 53, "nodePort": 30053}]},
             "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.1", "ipMode": "Proxy"}]}}}
            """;

    private static final String SLICE = """
            {"metadata": {"name": "web-1", "namespace": "shop", "resourceVersion": "8",
                          "labels": {"kubernetes.io/service-name": "web"}},
             "addressType": "IPv4",
             "ports": [{"name": "http", "protocol": "TCP", "port": 8080}],
             "endpoints": [{"addresses": ["10.1.0.1"], "conditions": {"ready": true, "serving": true, "terminating": false},
                            "nodeName": "node-a",
                            "hints": {"forZones": [{"name": "zone-a"}], "forNodes": [{"name": "node-a"}]}},
                           {"addresses": ["10.1.0.2"], "conditions": {"ready": false}}]}
            """;

    private static final String NODE = """
            {"metadata": {"name": "node-a", "resourceVersion": "9", "labels": {"topology.kubernetes.io/zone": "z"}},
             "spec": {"podCIDRs": ["10.244.0.0/24", "fd00:244::/64"],
                      "taints": [{"key": "ToBeDeletedByClusterAutoscaler", "effect": "NoSchedule"}]}}
            """;

    @BeforeAll
    static void lenient() {
        LenientJson.install();
    }

    private static ProtoReader encoded(String apiVersion, String kind, String json) throws ProtoException {
        byte[] bytes = KubeProtobuf.encode(apiVersion, kind, JsonParser.parseString(json).getAsJsonObject());
        return KubeProto.unwrap(new ProtoReader(bytes, 0, bytes.length));
    }

    @Test
    void serviceDecodesAsFromJson() throws ProtoException {
        assertEquals(JSON.getGson().fromJson(SERVICE, V1Service.class),
                KubeProto.service(encoded("v1", "Service", SERVICE)));
    }

    @Test
    void endpointSliceDecodesAsFromJson() throws ProtoException {
        assertEquals(JSON.getGson().fromJson(SLICE, V1EndpointSlice.class),
                KubeProto.endpointSlice(encoded("discovery.k8s.io/v1", "EndpointSlice", SLICE)));
    }

    @Test
    void nodeDecodesAsFromJson() throws ProtoException {
        V1Node json = JSON.getGson().fromJson(NODE, V1Node.class);
        // The taint's effect is not read.
        json.getSpec().getTaints().get(0).setEffect(null);
        assertEquals(json, KubeProto.node(encoded("v1", "Node", NODE)));
    }

    /**
     * kube-apiserver's encoder writes Go's non-pointer strings and ints even when empty (gogo-protobuf,
     * non-nullable); JSON omits them ({@code omitempty}): both decode to null.
     */
    @Test
    void emptyValuesKubeApiserverWritesDecodeAsJsonOmitsThem() throws ProtoException {
        String json = """
                {"metadata": {"name": "web", "namespace": "shop"},
                 "spec": {"type": "", "clusterIP": "", "healthCheckNodePort": 0, "sessionAffinity": "",
                          "ports": [{"name": "", "port": 80, "nodePort": 0, "protocol": "TCP"}]}}
                """;
        V1Service service = KubeProto.service(encoded("v1", "Service", json));
        assertEquals(null, service.getSpec().getType());
        assertEquals(null, service.getSpec().getClusterIP());
        assertEquals(null, service.getSpec().getHealthCheckNodePort());
        assertEquals(null, service.getSpec().getPorts().get(0).getName());
        assertEquals(null, service.getSpec().getPorts().get(0).getNodePort());
        assertEquals(80, service.getSpec().getPorts().get(0).getPort());
    }

    @Test
    void fieldsOfANewerServerAreSkipped() throws ProtoException {
        JsonObject newer = JsonParser.parseString(SERVICE).getAsJsonObject();
        newer.getAsJsonObject("spec").addProperty("futureNumber", 12);
        newer.getAsJsonObject("spec").addProperty("futureText", "x");
        newer.getAsJsonObject("metadata").add("futureObject", JsonParser.parseString("{\"a\": [1]}"));
        assertEquals(JSON.getGson().fromJson(SERVICE, V1Service.class),
                KubeProto.service(encoded("v1", "Service", newer.toString())));
    }

    @Test
    void aFieldOfTheWrongWireTypeIsRefusedNamingIt() {
        String json = SERVICE.replace("\"port\": 80", "\"port\": \"eighty\"");
        ProtoException e = assertThrows(ProtoException.class,
                () -> KubeProto.service(encoded("v1", "Service", json)));
        assertTrue(e.getMessage().startsWith("spec.ports.port: wire type 2 where a varint belongs"), e.getMessage());
    }

    @Test
    void truncatedInputIsRefused() throws ProtoException {
        byte[] bytes = KubeProtobuf.encode("v1", "Service", JsonParser.parseString(SERVICE).getAsJsonObject());
        ProtoReader whole = KubeProto.unwrap(new ProtoReader(bytes, 0, bytes.length));
        assertThrows(ProtoException.class, () -> KubeProto.unwrap(new ProtoReader(bytes, 0, bytes.length - 20)));
        assertEquals("web", KubeProto.identity(whole).getName());
    }

    @Test
    void aBodyWithoutTheMagicIsRefused() {
        byte[] json = SERVICE.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ProtoException e = assertThrows(ProtoException.class,
                () -> KubeProto.unwrap(new ProtoReader(json, 0, json.length)));
        assertTrue(e.getMessage().contains("magic"), e.getMessage());
    }
}
