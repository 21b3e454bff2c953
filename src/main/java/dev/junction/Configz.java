package dev.junction;

import dev.junction.config.NodePortAddresses;
import dev.junction.config.ProxyConfig;
import dev.junction.model.Cidr;
import dev.junction.observe.Json;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.util.Locale;

/**
 * What the metrics port's {@code /proxyMode} and {@code /configz} tell about this proxy: kube-proxy's mode
 * name for a proxy that relays in user space, and the configuration in use as a KubeProxyConfiguration
 * (kube-proxy's field names, durations as Go writes them) with Junction's own settings under
 * {@code junction}, as the {@code --config} file spells them. Stateless.
 */
final class Configz {

    /** kube-proxy's name for the mode that proxies through a userspace process (removed there in 1.26). */
    static final String PROXY_MODE = "userspace";

    private Configz() {
    }

    /** The KubeProxyConfiguration {@code config} amounts to, as one JSON object. */
    static String json(ProxyConfig config) {
        var ops = config.operations();
        Json json = new Json().object()
                .field("kind", "KubeProxyConfiguration")
                .field("apiVersion", "kubeproxy.config.k8s.io/v1alpha1")
                .object("clientConnection")
                .field("kubeconfig", config.source() instanceof ProxyConfig.KubeApi api && api.kubeconfig() != null
                        ? api.kubeconfig().toString() : "")
                .field("contentType", config.kubeClient().contentType().mediaType())
                .field("qps", config.kubeClient().qps())
                .field("burst", config.kubeClient().burst())
                .end()
                .field("hostnameOverride", config.nodeName())
                .field("healthzBindAddress", address(ops.healthzBindAddress()))
                .field("metricsBindAddress", address(ops.metricsBindAddress()))
                .field("mode", PROXY_MODE)
                .array("nodePortAddresses");
        if (config.nodePortAddresses().primary()) {
            json.value(NodePortAddresses.PRIMARY);
        }
        for (Cidr c : config.nodePortAddresses().prefixes()) {
            json.value(c.toString());
        }
        json.endArray()
                // kube-proxy writes clusterCIDR as one comma-separated string, one prefix per family.
                .field("clusterCIDR", String.join(",", config.clusterCidrs().stream().map(Cidr::toString).toList()))
                .field("detectLocalMode", config.detectLocalMode().label())
                .field("syncPeriod", ops.syncPeriod())
                .object("conntrack").field("udpTimeout", config.udpIdleTimeout()).end()
                .object("junction");
        if (config.source() instanceof ProxyConfig.Manifests manifests) {
            json.field("manifests", manifests.dir().toString());
        }
        return json.field("capture", config.capture().label())
                .field("keepRoutes", config.keepRoutes())
                .field("handoverSocket", config.handoverSocket() == null ? "" : config.handoverSocket().toString())
                .field("workers", config.workers())
                .field("transport", config.transport().name().toLowerCase(Locale.ROOT))
                .field("lb", config.loadBalancing().label())
                .field("connectTimeout", config.connectTimeout())
                .field("idleTimeout", config.idleTimeout())
                .field("halfCloseTimeout", config.halfCloseTimeout())
                .field("udpMaxSessions", config.udpMaxSessions())
                .field("shutdownGracePeriod", ops.shutdownGracePeriod())
                .object("metrics")
                .field("maxServices", ops.metricsMaxServices())
                .field("perEndpoint", ops.metricsPerEndpoint())
                .end()
                .field("logLevel", config.logLevel().name().toLowerCase(Locale.ROOT))
                .field("logFormat", config.logFormat().name().toLowerCase(Locale.ROOT))
                .end().end().toString();
    }

    /** kube-proxy's spelling: {@code IP:port}, {@code [v6]:port}, or empty when not served. */
    private static String address(InetSocketAddress address) {
        return address == null ? "" : NetUtil.toSocketAddressString(address);
    }
}
