package dev.junction.control;

import static dev.junction.control.Fixtures.THIS_NODE;
import static dev.junction.control.Fixtures.ep;
import static dev.junction.control.Fixtures.notReady;
import static dev.junction.control.Fixtures.slice;
import static dev.junction.control.Fixtures.slicePort;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kubernetes.client.openapi.models.V1ServiceSpec;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class ServiceHealthTrackerTest {

    @Test
    void countsEachLocalReadyAddressOfThePrimaryFamilyOnce() {
        V1ServiceSpec spec = new V1ServiceSpec().ipFamilies(List.of("IPv4", "IPv6"));
        List<CachedSlice> slices = Stream.of(
                slice("web-a", "web", slicePort("http", 8080))
                        .addEndpointsItem(ep("10.1.0.1").nodeName(THIS_NODE))
                        .addEndpointsItem(ep("10.1.0.2").nodeName(THIS_NODE))
                        .addEndpointsItem(ep("10.1.0.3"))
                        .addEndpointsItem(notReady("10.1.0.4").nodeName(THIS_NODE)),
                slice("web-b", "web", slicePort("http", 8080)).addEndpointsItem(ep("10.1.0.1").nodeName(THIS_NODE)),
                slice("web-v6", "web", slicePort("http", 8080)).addressType("IPv6")
                        .addEndpointsItem(ep("fd02::2").nodeName(THIS_NODE)))
                .map(CachedSlice::of).toList();

        assertEquals(2, ServiceHealthTracker.localReady(spec, slices, THIS_NODE));
    }
}
