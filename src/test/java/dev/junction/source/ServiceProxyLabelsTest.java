package dev.junction.source;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Service;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ServiceProxyLabelsTest {

    private static V1ObjectMeta labelled(String label) {
        V1ObjectMeta meta = new V1ObjectMeta().name("web").namespace("shop").putLabelsItem("app", "web");
        return label == null ? meta : meta.putLabelsItem(label, "");
    }

    static Stream<Arguments> objects() {
        return Stream.of(
                Arguments.argumentSet("Service without either label", new V1Service().metadata(labelled(null)), false),
                Arguments.argumentSet("Service of another proxy",
                        new V1Service().metadata(labelled(ServiceProxyLabels.SERVICE_PROXY_NAME)), true),
                Arguments.argumentSet("headless Service", new V1Service().metadata(labelled(ServiceProxyLabels.HEADLESS)), true),
                Arguments.argumentSet("slice without either label", new V1EndpointSlice().metadata(labelled(null)), false),
                Arguments.argumentSet("slice of another proxy",
                        new V1EndpointSlice().metadata(labelled(ServiceProxyLabels.SERVICE_PROXY_NAME)), true),
                Arguments.argumentSet("slice of a headless Service",
                        new V1EndpointSlice().metadata(labelled(ServiceProxyLabels.HEADLESS)), true),
                Arguments.argumentSet("slice without labels", new V1EndpointSlice().metadata(new V1ObjectMeta().name("s")), false),
                // kube-proxy watches its Node by name only.
                Arguments.argumentSet("Node with the label", new V1Node().metadata(labelled(ServiceProxyLabels.SERVICE_PROXY_NAME)),
                        false));
    }

    @ParameterizedTest
    @MethodSource("objects")
    void excludesServicesAndSlicesKubeProxysSelectorLeavesOut(KubernetesObject object, boolean excluded) {
        assertEquals(excluded, ServiceProxyLabels.excludes(object));
    }
}
