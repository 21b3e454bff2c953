package dev.junction.control;

import static dev.junction.control.Fixtures.ep;
import static dev.junction.control.Fixtures.hinted;
import static dev.junction.control.Fixtures.slice;
import static dev.junction.control.Fixtures.slicePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.model.Addresses;
import dev.junction.model.Protocol;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CachedSliceTest {

    @Test
    void keepsTheFirstAddressParsedWithNodeConditionsAndHints() {
        V1EndpointSlice slice = slice("web-1", "web", slicePort("http", 8080))
                .addEndpointsItem(hinted(Fixtures.servingTerminating("10.1.0.1").addAddressesItem("10.1.0.2"),
                        List.of("node-b"), List.of("zone-a", "zone-b")));

        CachedSlice cached = CachedSlice.of(slice);

        assertEquals(List.of(SliceEndpoint.of(Addresses.parse("10.1.0.1"), "node-b", false, true, true,
                Set.of("node-b"), Set.of("zone-a", "zone-b"))), cached.endpoints());
    }

    @Test
    void anEndpointMatchesTheTextOfItsOwnAddressOnly() {
        SliceEndpoint v4 = SliceEndpoint.of(Addresses.parse("10.1.0.1"), null, true, true, false, Set.of(), Set.of());
        SliceEndpoint v6 = SliceEndpoint.of(Addresses.parse("fd00::1"), null, true, true, false, Set.of(), Set.of());

        assertTrue(v4.hasAddress("10.1.0.1"));
        assertFalse(v4.hasAddress("10.1.0.2"));
        // The same IPv4 address once parsed, but an IPv6 literal: such an endpoint is built and compared as built.
        assertFalse(v4.hasAddress("::ffff:10.1.0.1"));
        assertFalse(v4.hasAddress("::a01:1"));
        assertTrue(v6.hasAddress("fd00::1"));
        assertFalse(v6.hasAddress("fd00::1:0:0:0:1"));
    }

    @Test
    void aNewVersionKeepsEachUnchangedEndpointAndConvertsTheChangedOnes() {
        CachedSlice previous = CachedSlice.of(slice("web-1", "web", slicePort("http", 8080))
                .addEndpointsItem(ep("10.1.0.1")).addEndpointsItem(ep("10.1.0.2")).addEndpointsItem(ep("10.1.0.3"))
                .addEndpointsItem(ep("10.1.0.4")));
        V1EndpointSlice changed = slice("web-1", "web", slicePort("http", 8080))
                .addEndpointsItem(ep("10.1.0.1")).addEndpointsItem(ep("10.1.0.9")).addEndpointsItem(ep("10.1.0.3"))
                .addEndpointsItem(hinted(ep("10.1.0.4"), List.of("node-b"), List.of()));

        CachedSlice next = CachedSlice.of(changed, previous);

        assertEquals(CachedSlice.of(changed), next);
        assertSame(previous.endpoints().get(0), next.endpoints().get(0));
        assertNotSame(previous.endpoints().get(1), next.endpoints().get(1));
        assertSame(previous.endpoints().get(2), next.endpoints().get(2));
        assertNotSame(previous.endpoints().get(3), next.endpoints().get(3));
        assertSame(previous.ports(), next.ports());
    }

    @Test
    void anEndpointWithoutHintsSharesTheEmptySets() {
        SliceEndpoint endpoint = CachedSlice.of(slice("web-1", "web").addEndpointsItem(ep("10.1.0.1")))
                .endpoints().get(0);
        assertSame(Set.of(), endpoint.nodeHints());
        assertSame(Set.of(), endpoint.zoneHints());
    }

    @Test
    void fqdnSlicesKeepNoEndpoints() {
        CachedSlice cached = CachedSlice.of(slice("web-1", "web").addressType("FQDN").addEndpointsItem(ep("10.1.0.1")));
        assertEquals(List.of(), cached.endpoints());
    }

    @Test
    void keepsOnlyPortsAServicePortCanMatch() {
        V1EndpointSlice slice = slice("web-1", "web", slicePort("http", 8080), slicePort(null, 9090),
                slicePort("dns", 5353).protocol("UDP"), slicePort("sig", 9899).protocol("SCTP"),
                slicePort("all ports", 8080).port(null));

        assertEquals(List.of(
                new CachedSlice.Port("http", Protocol.TCP, 8080),
                new CachedSlice.Port("", Protocol.TCP, 9090),
                new CachedSlice.Port("dns", Protocol.UDP, 5353)), CachedSlice.of(slice).ports());
    }

    @Test
    void aSliceWithoutNamespacePortsOrEndpointsConverts() {
        CachedSlice cached = CachedSlice.of(new V1EndpointSlice().metadata(new V1ObjectMeta().name("web-1"))
                .addressType("IPv4"));
        assertEquals(new CachedSlice("", "web-1", "IPv4", List.of(), List.of()), cached);
    }
}
