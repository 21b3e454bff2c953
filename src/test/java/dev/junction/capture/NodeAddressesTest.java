package dev.junction.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.model.Addresses;
import dev.junction.model.Cidr;
import java.net.InetAddress;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class NodeAddressesTest {

    private static final List<InetAddress> HOST = Stream.of(
            "127.0.0.1", "::1", "192.168.50.1", "10.244.3.1", "fe80::1", "fd00:3::1")
            .map(Addresses::parse).toList();

    private static List<InetAddress> ips(String... texts) {
        return Stream.of(texts).map(Addresses::parse).toList();
    }

    @Test
    void withoutPrefixesEveryAddressButLoopbackAndLinkLocal() {
        assertEquals(ips("192.168.50.1", "10.244.3.1", "fd00:3::1"), NodeAddresses.select(HOST, List.of()));
    }

    @Test
    void prefixesSelectTheAddressesInsideThem() {
        assertEquals(ips("192.168.50.1", "fd00:3::1"), NodeAddresses.select(HOST,
                List.of(Cidr.parse("192.168.50.0/24"), Cidr.parse("fd00::/16"))));
        assertEquals(ips("127.0.0.1"), NodeAddresses.select(HOST, List.of(Cidr.parse("127.0.0.0/8"))));
    }

    @Test
    void primaryIsTheBindAddressWhenItNamesOne() {
        InetAddress bind = Addresses.parse("10.1.2.3");
        assertEquals(List.of(bind), NodeAddresses.primary(bind));
    }

    @Test
    void primaryWithoutABindAddressIsTheDefaultRoutesSourceAddressOfEachFamily() {
        List<InetAddress> primary = NodeAddresses.primary(Addresses.parse("0.0.0.0"));
        assertTrue(primary.size() <= 2, primary.toString());
        for (InetAddress address : primary) {
            assertTrue(NodeAddresses.interfaceAddresses().contains(address), address + " is this host's");
            assertFalse(address.isLoopbackAddress(), address.toString());
        }
        assertEquals(primary.stream().map(InetAddress::getClass).distinct().count(), primary.size(), "one per family");
    }
}
