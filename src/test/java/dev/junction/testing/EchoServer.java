package dev.junction.testing;

import java.net.InetAddress;

/**
 * {@code EchoServer NAME PORT}: a {@link TestBackend} (TCP) and a {@link UdpEchoBackend} (UDP) at
 * {@code PORT} on every address (IPv4 and IPv6) of the network namespace it is started in, until killed.
 * Both name themselves in their replies. Prints {@code ready} once both are bound.
 */
public final class EchoServer {

    private EchoServer() {
    }

    public static void main(String[] args) throws Exception {
        InetAddress any = InetAddress.getByName("::");
        int port = Integer.parseInt(args[1]);
        try (TestBackend backend = TestBackend.start(args[0], any, port);
                UdpEchoBackend udp = UdpEchoBackend.start(args[0], any, port)) {
            System.out.println("ready " + backend.name());
            System.out.flush();
            Thread.currentThread().join();
        }
    }
}
