package dev.junction.source;

import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1Service;
import java.util.Map;

/**
 * The labels that make kube-proxy leave a Service or EndpointSlice alone: {@value #SERVICE_PROXY_NAME}
 * (another proxy serves it) and {@value #HEADLESS}. kube-proxy's Service and EndpointSlice watches share
 * one label selector that excludes both, so each source applies it to both kinds. Stateless.
 */
public final class ServiceProxyLabels {

    public static final String SERVICE_PROXY_NAME = "service.kubernetes.io/service-proxy-name";
    public static final String HEADLESS = "service.kubernetes.io/headless";
    /** kube-proxy's label selector, as the API server takes it. */
    public static final String SELECTOR = "!" + SERVICE_PROXY_NAME + ",!" + HEADLESS;

    private ServiceProxyLabels() {
    }

    /** True when {@code object} is a Service or an EndpointSlice that {@link #SELECTOR} leaves out. */
    public static boolean excludes(KubernetesObject object) {
        if (!(object instanceof V1Service || object instanceof V1EndpointSlice) || object.getMetadata() == null) {
            return false;
        }
        Map<String, String> labels = object.getMetadata().getLabels();
        return labels != null && (labels.containsKey(SERVICE_PROXY_NAME) || labels.containsKey(HEADLESS));
    }
}
