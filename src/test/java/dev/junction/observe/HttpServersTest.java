package dev.junction.observe;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.model.Addresses;
import io.netty.channel.Channel;
import java.io.IOException;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class HttpServersTest {

    @Test
    void aPortTakenIsReportedWithTheAddressInCompactForm() throws IOException {
        try (HttpServers http = new HttpServers()) {
            Channel first = http.bind(new InetSocketAddress(Addresses.parse("::1"), 0), r -> HttpServers.Reply.notFound());
            int port = ((InetSocketAddress) first.localAddress()).getPort();
            IOException e = assertThrows(IOException.class,
                    () -> http.bind(new InetSocketAddress(Addresses.parse("::1"), port), r -> HttpServers.Reply.notFound()));
            assertTrue(e.getMessage().startsWith("cannot listen on [::1]:" + port + ": "), e.getMessage());
        }
    }
}
