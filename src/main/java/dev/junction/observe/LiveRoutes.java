package dev.junction.observe;

import dev.junction.model.Endpoint;
import dev.junction.model.Frontend;
import dev.junction.model.ServicePortName;
import dev.junction.model.ServiceRoute;
import java.util.List;

/**
 * The live table as the admin server reads it: every programmed frontend with its route and the current
 * state of its endpoints, and the counters of every service port. Implementations build the answer from
 * what the data plane is serving right now; callable from any thread.
 */
public interface LiveRoutes {

    LiveRoutes NONE = new LiveRoutes() {
        @Override
        public List<FrontendStatus> frontends() {
            return List.of();
        }

        @Override
        public List<ServicePortStats> servicePorts() {
            return List.of();
        }
    };

    List<FrontendStatus> frontends();

    List<ServicePortStats> servicePorts();

    /** One frontend: its route, whether its listener is bound, and its endpoints as the listener sees them. */
    record FrontendStatus(Frontend frontend, ServiceRoute route, boolean listening, List<EndpointStatus> endpoints) {

        public FrontendStatus {
            endpoints = List.copyOf(endpoints);
        }
    }

    /**
     * One endpoint of a service port: connections (or UDP sessions) open now, opened since it joined the
     * port, and whether passive health has ejected it.
     */
    record EndpointStatus(Endpoint endpoint, int activeConnections, long connections, boolean ejected) {
    }

    /**
     * Counters of one service port since its balancer was created. For UDP ports connections are sessions.
     * Bytes count payload in each direction.
     */
    record ServicePortStats(ServicePortName port, long accepted, long active, long failed, long retried,
            long bytesToEndpoints, long bytesToClients, long ejections) {
    }
}
