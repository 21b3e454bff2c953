package dev.junction.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CidrSetTest {

    private static final CidrSet NODE = set("172.16.0.5", "127.0.0.0/8", "::1/128", "10.244.3.0/24", "fd00:3::/64");

    private static CidrSet set(String... cidrs) {
        return CidrSet.of(Arrays.stream(cidrs).map(Cidr::parse).toList());
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource({
        "172.16.0.5,     true",
        "172.16.0.6,     false",
        "127.0.0.1,      true",
        "127.255.0.9,    true",
        "10.244.3.2,     true",
        "10.244.4.2,     false",
        "::1,            true",
        "::2,            false",
        "fd00:3::2,      true",
        "fd00:3:0:1::2,  false",
        "192.168.50.2,   false",
    })
    void containsWhatOneOfItsPrefixesOfTheSameFamilyContains(String address, boolean expected) {
        assertEquals(expected, NODE.contains(Addresses.parse(address)));
        assertEquals(expected, NODE.cidrs().stream().anyMatch(c -> c.contains(Addresses.parse(address))),
                "as the prefixes one by one say");
    }

    @Test
    void wholeAndEmptyPrefixesOfOneFamilyLeaveTheOtherAlone() {
        assertTrue(set("0.0.0.0/0").contains(Addresses.parse("203.0.113.9")));
        assertFalse(set("0.0.0.0/0").contains(Addresses.parse("2001:db8::1")));
        assertTrue(set("::/0").contains(Addresses.parse("2001:db8::1")));
        assertFalse(set("::/0").contains(Addresses.parse("203.0.113.9")));
        assertFalse(CidrSet.EMPTY.contains(Addresses.parse("127.0.0.1")));
    }

    @Test
    void equalWhenBuiltFromEqualPrefixes() {
        assertEquals(set("10.0.0.0/8", "fd00::/8"), set("10.1.2.3/8", "fd00::1/8"));
        assertEquals(set("10.0.0.0/8").hashCode(), set("10.1.2.3/8").hashCode());
        assertNotEquals(set("10.0.0.0/8"), set("10.0.0.0/9"));
        assertEquals(CidrSet.EMPTY, CidrSet.of(List.of()));
        assertTrue(CidrSet.EMPTY.isEmpty());
    }

    @Test
    void aHostPrefixIsTheAddressAlone() {
        assertEquals(Cidr.parse("172.16.0.5/32"), Cidr.host(Addresses.parse("172.16.0.5")));
        assertEquals(Cidr.parse("fd00::5/128"), Cidr.host(Addresses.parse("fd00::5")));
    }
}
