package dev.junction.control;

import static dev.junction.control.Fixtures.ep;
import static dev.junction.control.Fixtures.hinted;
import static dev.junction.control.Fixtures.slice;
import static dev.junction.control.Fixtures.slicePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.junction.model.Addresses;
import dev.junction.model.Protocol;
import io.kubernetes.client.openapi.models.V1Endpoint;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
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
        assertEquals(List.of(), cached.addressProblems());
    }

    @Test
    void anEndpointWithoutHintsSharesTheEmptySets() {
        SliceEndpoint endpoint = CachedSlice.of(slice("web-1", "web").addEndpointsItem(ep("10.1.0.1")))
                .endpoints().get(0);
        assertSame(Set.of(), endpoint.nodeHints());
        assertSame(Set.of(), endpoint.zoneHints());
    }

    @Test
    void endpointsWithABadAddressAreLeftOutWithTheProblemToReport() {
        V1EndpointSlice slice = slice("web-1", "web", slicePort("http", 8080))
                .addEndpointsItem(ep("10.1.0.300"))
                .addEndpointsItem(ep("fd02::1"))
                .addEndpointsItem(ep(""))
                .addEndpointsItem(null)
                .addEndpointsItem(new V1Endpoint())
                .addEndpointsItem(ep("10.1.0.1"));

        CachedSlice cached = CachedSlice.of(slice);

        assertEquals(List.of(Addresses.parse("10.1.0.1")),
                cached.endpoints().stream().map(SliceEndpoint::address).toList());
        assertEquals(List.of(
                "endpointslice ns/web-1: invalid IP address \"10.1.0.300\", ignored",
                "endpointslice ns/web-1: address fd02::1 is not IPv4, ignored",
                "endpointslice ns/web-1: empty IP address, ignored"), cached.addressProblems());
    }

    @Test
    void fqdnSlicesKeepNoEndpoints() {
        CachedSlice cached = CachedSlice.of(slice("web-1", "web").addressType("FQDN").addEndpointsItem(ep("10.1.0.1")));
        assertEquals(List.of(), cached.endpoints());
        assertEquals(List.of(), cached.addressProblems());
    }

    @Test
    void keepsOnlyPortsAServicePortCanMatch() {
        V1EndpointSlice slice = slice("web-1", "web", slicePort("http", 8080), slicePort(null, 9090),
                slicePort("dns", 5353).protocol("UDP"), slicePort("sig", 9899).protocol("SCTP"),
                slicePort("none", 8080).port(null), slicePort("zero", 0)).addPortsItem(null);

        assertEquals(List.of(
                new CachedSlice.Port("http", Protocol.TCP, 8080),
                new CachedSlice.Port("", Protocol.TCP, 9090),
                new CachedSlice.Port("dns", Protocol.UDP, 5353)), CachedSlice.of(slice).ports());
    }

    @Test
    void aSliceWithoutMetadataPortsOrEndpointsConverts() {
        CachedSlice cached = CachedSlice.of(new V1EndpointSlice().addressType("IPv4"));
        assertEquals(new CachedSlice("", "", "IPv4", List.of(), List.of(), List.of()), cached);
        assertEquals("endpointslice /", cached.label());
    }
}
