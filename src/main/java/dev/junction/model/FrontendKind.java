package dev.junction.model;

/** Which of a Service's virtual addresses a frontend is; decides the traffic policy that applies. */
public enum FrontendKind {
    CLUSTER_IP,
    NODE_PORT,
    EXTERNAL_IP,
    LOAD_BALANCER;

    /** externalTrafficPolicy governs every kind but ClusterIP, which internalTrafficPolicy governs. */
    public boolean external() {
        return this != CLUSTER_IP;
    }
}
