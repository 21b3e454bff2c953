package dev.junction.testing;

import java.net.InetAddress;

/**
 * {@code EchoServer NAME PORT}: a {@link TestBackend} on every address (IPv4 and IPv6) of the network
 * namespace it is started in, until killed. Prints {@code ready} once it accepts.
 */
public final class EchoServer {

    private EchoServer() {
    }

    public static void main(String[] args) throws Exception {
        try (TestBackend backend = TestBackend.start(args[0], InetAddress.getByName("::"), Integer.parseInt(args[1]))) {
            System.out.println("ready " + backend.name());
            System.out.flush();
            Thread.currentThread().join();
        }
    }
}
