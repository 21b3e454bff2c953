package dev.junction.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CidrTest {

    @ParameterizedTest(name = "{0} contains {1}: {2}")
    @CsvSource({
        "10.0.0.0/8,      10.255.1.2,   true",
        "10.0.0.0/8,      11.0.0.1,     false",
        "10.1.2.3/8,      10.9.9.9,     true",
        "192.0.2.7,       192.0.2.7,    true",
        "192.0.2.7,       192.0.2.8,    false",
        "0.0.0.0/0,       203.0.113.9,  true",
        "10.244.3.0/25,   10.244.3.127, true",
        "10.244.3.0/25,   10.244.3.128, false",
        "fd00::/64,       fd00::1,      true",
        "fd00::/64,       fd00:0:0:1::1, false",
        "::/0,            10.0.0.1,     false",
        "0.0.0.0/0,       ::1,          false",
    })
    void containsAddressesOfItsFamilyInsideThePrefix(String cidr, String address, boolean expected) {
        assertEquals(expected, Cidr.parse(cidr).contains(Addresses.parse(address)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "10.0.0.0/33", "10.0.0.0/", "fd00::/129", "10.0.0.0/-1", "example.com/8", "10.0.0/8"})
    void rejectsWhatIsNotAPrefix(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Cidr.parse(text));
        assertTrue(e.getMessage().contains("CIDR"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"10.1.2.3/8, 10.0.0.0/8", "192.0.2.7, 192.0.2.7/32", "fd00::5/64, fd00:0:0:0:0:0:0:0/64"})
    void masksHostBits(String text, String canonical) {
        assertEquals(canonical, Cidr.parse(text).toString());
        assertEquals(Cidr.parse(canonical), Cidr.parse(text));
        assertFalse(Cidr.parse(text).equals(Cidr.parse("10.0.0.0/9")));
    }

    @ParameterizedTest
    @CsvSource({"192.0.2.7, 192.0.2.7/32", "fd00::5, fd00:0:0:0:0:0:0:5/128"})
    void aHostPrefixHoldsItsAddressAlone(String address, String canonical) {
        assertEquals(Cidr.parse(canonical), Cidr.host(Addresses.parse(address)));
    }

    @ParameterizedTest(name = "{0} same family as {1}: {2}")
    @CsvSource({
        "10.0.0.0/8,  192.0.2.1, true",
        "10.0.0.0/8,  fd00::1,   false",
        "fd00::/64,   2001::1,   true",
        "::/0,        10.0.0.1,  false",
    })
    void tellsAddressesOfItsFamilyWhetherInsideOrNot(String cidr, String address, boolean expected) {
        assertEquals(expected, Cidr.parse(cidr).sameFamily(Addresses.parse(address)));
    }
}
