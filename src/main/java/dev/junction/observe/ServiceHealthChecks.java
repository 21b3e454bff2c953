package dev.junction.observe;

/**
 * Where the control plane publishes {@code healthCheckNodePort}s: for every externalTrafficPolicy Local
 * LoadBalancer Service with one, the port and how many Ready endpoints it has on this node. Called on the
 * control context.
 */
public interface ServiceHealthChecks {

    ServiceHealthChecks NONE = new ServiceHealthChecks() {
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
