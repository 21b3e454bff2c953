package dev.junction.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.Inet4Address;
import java.util.List;
import org.junit.jupiter.api.Test;

class AddressesTest {

    @Test
    void aDottedQuadsNumberIsTheParsedAddresssAndWhatParseRefusesIsMinusOne() {
        for (String text : List.of("0.0.0.0", "10.1.0.1", "127.0.0.1", "255.255.255.255", "192.168.10.200")) {
            int parsed = java.nio.ByteBuffer.wrap(((Inet4Address) Addresses.parse(text)).getAddress()).getInt();
            assertEquals(parsed & 0xFFFF_FFFFL, Addresses.parseV4Bits(text), text);
        }
        // Kubernetes' rules: no leading zeros, four parts of at most 255, nothing else.
        for (String text : List.of("", "10.1.0", "10.1.0.1.2", "010.1.0.1", "10.1.0.256", "10..0.1", "10.1.0.1 ",
                "a.b.c.d", "-1.0.0.1")) {
            assertEquals(-1, Addresses.parseV4Bits(text), text);
            assertThrows(IllegalArgumentException.class, () -> Addresses.parse(text), text);
        }
    }
}
