package dev.junction.source.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.junction.source.ObjectValidator;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.custom.IntOrString;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1Service;
import java.util.List;
import org.junit.jupiter.api.Test;

class ManifestReaderTest {

    private final ManifestReader reader = new ManifestReader(ObjectValidator.allowingLoopbackEndpoints());

    @Test
    void readsEveryKindFromMultiDocumentYamlSkippingEmptyDocuments() throws Exception {
        List<KubernetesObject> objects = reader.read("""
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: shop}
                spec:
                  clusterIP: 10.96.0.10
                  ports: [{name: http, port: 80, targetPort: http}]
                ---
                # only a comment
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: web-1
                  labels: {kubernetes.io/service-name: web}
                addressType: IPv4
                endpoints: [{addresses: [10.1.0.1], conditions: {ready: true}}]
                ports: [{name: http, port: 8080}]
                ---
                apiVersion: v1
                kind: Node
                metadata: {name: node-1, namespace: ignored}
                """);

        assertEquals(3, objects.size());
        V1Service service = assertInstanceOf(V1Service.class, objects.get(0));
        assertEquals("shop", service.getMetadata().getNamespace());
        assertEquals(new IntOrString("http"), service.getSpec().getPorts().get(0).getTargetPort());
        V1EndpointSlice slice = assertInstanceOf(V1EndpointSlice.class, objects.get(1));
        assertEquals("default", slice.getMetadata().getNamespace(), "a missing namespace means default");
        assertEquals(List.of("10.1.0.1"), slice.getEndpoints().get(0).getAddresses());
        V1Node node = assertInstanceOf(V1Node.class, objects.get(2));
        assertNull(node.getMetadata().getNamespace(), "Nodes are cluster-scoped");
    }

    @Test
    void readsJson() throws Exception {
        List<KubernetesObject> objects = reader.read("""
                {
                \t"apiVersion": "v1",
                \t"kind": "Service",
                \t"metadata": {"name": "api"},
                \t"spec": {"clusterIP": "fd00::10", "ports": [{"port": 443, "protocol": "TCP"}]}
                }
                """);
        V1Service service = assertInstanceOf(V1Service.class, objects.get(0));
        assertEquals("fd00::10", service.getSpec().getClusterIP());
        assertEquals(443, service.getSpec().getPorts().get(0).getPort());
    }

    @Test
    void emptyTextHasNoObjects() throws Exception {
        assertEquals(List.of(), reader.read(""));
        assertEquals(List.of(), reader.read("# nothing yet\n"));
    }

    @Test
    void namesTheDocumentAndTheProblem() {
        assertProblem("document 2: spec.ports[0].port: 70000 is out of range 1-65535",
                service("a", 80) + "---\n" + service("b", 70000));
        assertProblem("document 1: spec.clusterIP: invalid IP address \"10.0.0.300\"",
                service("a", 80).replace("10.96.0.10", "10.0.0.300"));
    }

    @Test
    void refusesKindsAndApiVersionsOtherThanTheThreeAccepted() {
        String accepted = " (a manifest directory holds v1 Service, discovery.k8s.io/v1 EndpointSlice or v1 Node)";
        assertProblem("document 1: unsupported object apps/v1 Deployment" + accepted,
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: 1}\n");
        assertProblem("document 1: unsupported object v1 ConfigMap" + accepted,
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n");
        // client-java's Yaml.load would map both of these onto V1Service / V1EndpointSlice anyway.
        assertProblem("document 1: unsupported object example.com/v1 Service" + accepted,
                service("a", 80).replace("apiVersion: v1", "apiVersion: example.com/v1"));
        assertProblem("document 1: unsupported object discovery.k8s.io/v1beta1 EndpointSlice" + accepted,
                "apiVersion: discovery.k8s.io/v1beta1\nkind: EndpointSlice\nmetadata: {name: s}\naddressType: IPv4\n");
    }

    @Test
    void refusesDocumentsWithoutApiVersionOrKind() {
        assertProblem("document 1: apiVersion: missing or not a string", "kind: Service\nmetadata: {name: a}\n");
        assertProblem("document 1: kind: missing or not a string", "apiVersion: v1\nmetadata: {name: a}\n");
        assertProblem("document 1: not a Kubernetes object (expected a mapping with apiVersion and kind)",
                "- just\n- a list\n");
    }

    @Test
    void refusesUnknownAndMistypedFieldsWithTheirPath() {
        assertProblem("document 1: spec.bogus: Unable to find property 'bogus' on class: V1ServiceSpec",
                service("a", 80).replace("spec:", "spec:\n  bogus: 1"));
        assertProblem("document 1: spec.ports[0].port: must be a 32-bit integer, got the string \"eighty\"",
                service("a", 80).replace("port: 80", "port: eighty"));
    }

    /**
     * Issue 14: {@code ready: abc} and {@code ready: 70000} were read as unset, which means ready. kube-apiserver
     * refuses a value of the wrong JSON type when it decodes the object ("cannot unmarshal string into Go struct
     * field EndpointConditions.endpoints.conditions.ready of type bool"), before any validation: so do we.
     */
    @Test
    void refusesWrongTypedFieldsAsTheApiServerDecodingDoes() {
        String ready = slice("{ready: %s}");
        assertProblem("document 1: endpoints[0].conditions.ready: must be a boolean (true or false), got the string"
                + " \"abc\"", ready.formatted("abc"));
        assertProblem("document 1: endpoints[0].conditions.ready: must be a boolean (true or false), got the integer"
                + " 70000", ready.formatted("70000"));
        assertProblem("document 1: endpoints[0].conditions.ready: must be a boolean (true or false), got the string"
                + " \"true\"", ready.formatted("'true'"));
        assertProblem("document 1: endpoints[0].conditions.ready: must be a boolean (true or false), got a list",
                ready.formatted("[true]"));
        assertProblem("document 1: endpoints[0].conditions: must be a mapping, got the string \"ready\"",
                slice("ready"));
        assertProblem("document 1: spec.ports[0].port: must be a 32-bit integer, got the string \"80\"",
                service("a", 80).replace("port: 80", "port: '80'"));
        assertProblem("document 1: spec.ports[0].port: must be a 32-bit integer, got the number 80.5",
                service("a", 80).replace("port: 80", "port: 80.5"));
        assertProblem("document 1: spec.ports[0].port: 99999999999 is out of range for a 32-bit integer",
                service("a", 80).replace("port: 80", "port: 99999999999"));
        assertProblem("document 1: spec.ports: must be a list, got a mapping",
                service("a", 80).replace("  - port: 80", "    port: 80"));
        assertProblem("document 1: spec.ports[0].targetPort: must be a string or a 32-bit integer, got the boolean"
                + " true", service("a", 80).replace("port: 80", "port: 80\n    targetPort: true"));
        assertProblem("document 1: metadata.name: must be a string, got the integer 123",
                service("a", 80).replace("name: a", "name: 123"));
        assertProblem("document 1: metadata.annotations.a: must be a string, got the integer 1",
                service("a", 80).replace("name: a", "name: a\n  annotations: {a: 1}"));
        // The value is quoted and escaped: a manifest cannot forge a log line.
        assertProblem("document 1: endpoints[0].conditions.ready: must be a boolean (true or false), got the string"
                + " \"abc\\u000aERROR forged\"", ready.formatted("\"abc\\nERROR forged\""));
    }

    @Test
    void plainScalarsThatLookLikeTimestampsStayText() throws Exception {
        V1Service service = assertInstanceOf(V1Service.class, reader.read(
                service("a", 80).replace("name: a", "name: a\n  annotations: {released: 2001-12-14}")).get(0));
        assertEquals("2001-12-14", service.getMetadata().getAnnotations().get("released"));
    }

    @Test
    void refusesAliasBombsDeepNestingAndDuplicateKeys() {
        StringBuilder laughs = new StringBuilder("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (int i = 1; i < 9; i++) {
            laughs.append("a").append(i).append(": &a").append(i).append(" [");
            laughs.append(("*a" + (i - 1) + ", ").repeat(8)).append("*a").append(i - 1).append("]\n");
        }
        InvalidManifestException bomb = assertThrows(InvalidManifestException.class, () -> reader.read(
                service("a", 80).replace("name: a", "name: a\n  annotations:\n" + laughs.toString().indent(4))));
        assertEquals("document 1: invalid YAML: Number of aliases for non-scalar nodes exceeds the specified max=50",
                bomb.getMessage());
        String deep = "[".repeat(60) + "]".repeat(60);
        InvalidManifestException nested = assertThrows(InvalidManifestException.class, () -> reader.read(
                service("a", 80).replace("name: a", "name: a\n  annotations: {a: " + deep + "}")));
        assertEquals("document 1: invalid YAML: Nesting Depth exceeded max 50", nested.getMessage());
        assertProblem("document 1: invalid YAML: line 5, column 3: found duplicate key name (while constructing a"
                + " mapping at line 4, column 3)", service("a", 80).replace("name: a", "name: a\n  name: b"));
    }

    @Test
    void reportsSyntaxErrorsWithTheirPositionInTheFile() {
        assertProblem("document 2: invalid YAML: line 13, column 1: expected ',' or '}', but got <stream end>"
                        + " (while parsing a flow mapping at line 12, column 11)",
                service("a", 80) + "---\napiVersion: v1\nkind: Service\nmetadata: {name: b\n");
    }

    @Test
    void refusesTheSameObjectTwiceInOneFile() {
        assertProblem("document 2: Service default/a is already defined by document 1",
                service("a", 80) + "---\n" + service("a", 81));
    }

    private void assertProblem(String expected, String text) {
        InvalidManifestException e = assertThrows(InvalidManifestException.class, () -> reader.read(text));
        assertEquals(expected, e.getMessage());
    }

    /** An EndpointSlice whose one endpoint has {@code conditions} (YAML text, may hold a %s to fill in later). */
    private static String slice(String conditions) {
        return """
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: s, labels: {kubernetes.io/service-name: web}}
                addressType: IPv4
                endpoints: [{addresses: [10.1.0.1], conditions: %s}]
                ports: [{port: 8080}]
                """.formatted(conditions);
    }

    static String service(String name, int port) {
        return """
                apiVersion: v1
                kind: Service
                metadata:
                  name: %s
                spec:
                  clusterIP: 10.96.0.10
                  ports:
                  - port: %d
                """.formatted(name, port);
    }
}
