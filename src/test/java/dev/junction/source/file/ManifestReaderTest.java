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
        assertProblem("document 1: spec.ports.port: For input string: \"eighty\"",
                service("a", 80).replace("port: 80", "port: eighty"));
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
