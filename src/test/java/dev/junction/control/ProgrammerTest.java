package dev.junction.control;

import static dev.junction.control.Fixtures.ep;
import static dev.junction.control.Fixtures.port;
import static dev.junction.control.Fixtures.slice;
import static dev.junction.control.Fixtures.slicePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.capture.Capture;
import dev.junction.dataplane.DataPlane;
import dev.junction.dataplane.FrontendBindException;
import dev.junction.dataplane.FrontendHandle;
import dev.junction.lb.EndpointTable;
import dev.junction.lb.ServiceBalancer;
import dev.junction.model.Frontend;
import dev.junction.model.LbPolicy;
import dev.junction.model.Protocol;
import dev.junction.model.ServiceRoute;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1Service;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What applying a Service's routes does to its frontends, and what it tells the caller. */
class ProgrammerTest {

    private static final ServiceKey WEB = new ServiceKey("ns", "web");
    private static final ServiceKey API = new ServiceKey("ns", "api");

    private final InContext in = new InContext();
    private final List<String> problems = new ArrayList<>();

    private static Programmer programmer(InContext in, DataPlane plane) {
        return new Programmer(in.context, Map.of(Protocol.TCP, plane), Capture.none(), ServiceBalancer::create);
    }

    /** Over listeners that are never bound: only their slot matters here. */
    private final Programmer programmer = programmer(in, Unbound::new);

    /** A frontend handle with its slot and nothing bound: only the slot matters here. */
    private static final class Unbound implements FrontendHandle {
        private final Frontend frontend;
        private volatile EndpointTable table;

        Unbound(Frontend frontend, EndpointTable table) {
            this.frontend = frontend;
            this.table = table;
        }

        @Override
        public Frontend frontend() {
            return frontend;
        }

        @Override
        public InetSocketAddress localAddress() {
            return new InetSocketAddress(frontend.address(), frontend.port());
        }

        @Override
        public void update(EndpointTable table) {
            this.table = table;
        }

        @Override
        public EndpointTable table() {
            return table;
        }

        @Override
        public void close() {
        }
    }

    /** {@code service}'s routes: ClusterIP 127.0.0.1 port 80 to the given endpoints on 8080. */
    private static Map<Frontend, ServiceRoute> routes(String service, String... endpoints) {
        V1Service svc = Fixtures.service(service, port("http", 80));
        svc.getSpec().clusterIP("127.0.0.1").clusterIPs(List.of("127.0.0.1"));
        V1EndpointSlice s = slice(service + "-1", service, slicePort("http", 8080));
        for (String e : endpoints) {
            s.addEndpointsItem(ep(e));
        }
        return RouteBuilder.build(svc, List.of(CachedSlice.of(s)), Fixtures.NODE, LbPolicy.ROUND_ROBIN, p -> {
        });
    }

    private Programmer.Applied apply(ServiceKey key, Map<Frontend, ServiceRoute> routes) {
        return in.call(() -> programmer.apply(key, routes, problems::add));
    }

    @Test
    void applyTellsWhatItOpenedSwappedAndClosed() {
        Programmer.Applied opened = apply(WEB, routes("web", "10.1.0.1"));
        assertEquals(new Programmer.Applied(1, 0, 0), opened);
        assertFalse(opened.swapsOnly(), "live only once flushed");
        assertEquals(List.of(), in.call(programmer::flush));
        assertEquals(1, programmer.listening());

        Programmer.Applied swapped = apply(WEB, routes("web", "10.1.0.2"));
        assertEquals(new Programmer.Applied(0, 1, 0), swapped);
        assertTrue(swapped.swapsOnly(), "live at once");
        assertEquals(0, apply(WEB, routes("web", "10.1.0.2")).changes(), "an identical route");

        Programmer.Applied closed = apply(WEB, Map.of());
        assertEquals(new Programmer.Applied(0, 0, 1), closed);
        assertFalse(closed.swapsOnly());
        assertEquals(0, programmer.listening());
        assertEquals(List.of(), problems);
    }

    @Test
    void aFrontendAnotherServiceHoldsIsRefusedAndToldToTheCallersProblems() {
        apply(WEB, routes("web", "10.1.0.1"));
        Programmer.Applied refused = apply(API, routes("api", "10.1.0.9"));
        assertEquals(0, refused.changes());
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("is already used by ns/web"), problems.get(0));
    }

    @Test
    void aFrontendThatCannotBeBoundIsReturnedByFlush() {
        Programmer failing = programmer(in, (frontend, table) -> {
            throw new FrontendBindException(frontend, new IOException("address in use"));
        });
        in.call(() -> failing.apply(WEB, routes("web", "10.1.0.1"), problems::add));
        List<String> failed = in.call(failing::flush);
        assertEquals(1, failed.size(), failed.toString());
        assertTrue(failed.get(0).startsWith("ns/web: cannot listen on "), failed.get(0));
        assertEquals(0, failing.listening());
    }

    @Test
    void programmingOutsideTheControlContextThrows() {
        assertThrows(IllegalStateException.class, () -> programmer.apply(WEB, Map.of(), problems::add));
        assertThrows(IllegalStateException.class, programmer::flush);
    }
}
