package dev.junction.observe;

/**
 * kube-proxy's service health server: where the control plane publishes the service health checks, for
 * every externalTrafficPolicy Local LoadBalancer Service with a {@code healthCheckNodePort}, that port and
 * how many Ready endpoints the Service has on this node. Called in the control context.
 */
public interface ServiceHealthServer {

    ServiceHealthServer NONE = new ServiceHealthServer() {
        @Override
        public void update(String namespace, String name, int port, int localEndpoints) {
        }

        @Override
        public void remove(String namespace, String name) {
        }
    };

    /** The Service has (or now has) this health-check port and this many local Ready endpoints. */
    void update(String namespace, String name, int port, int localEndpoints);

    /** The Service no longer has a health-check port (deleted, or no longer eTP Local LoadBalancer). */
    void remove(String namespace, String name);
}
