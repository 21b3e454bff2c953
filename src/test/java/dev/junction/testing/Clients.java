package dev.junction.testing;

import dev.junction.model.Addresses;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;

/** Blocking client helpers for talking to a proxy frontend. */
public final class Clients {

    private Clients() {
    }

    public static Socket connect(InetSocketAddress address) throws IOException {
        return connect(address, null);
    }

    /** Connects from {@code from} (any port), or from the address the kernel chooses when it is null. */
    public static Socket connect(InetSocketAddress address, InetAddress from) throws IOException {
        Socket s = new Socket();
        if (from != null) {
            s.bind(new InetSocketAddress(from, 0));
        }
        s.setSoTimeout(10_000);
        s.connect(address, 5_000);
        s.setTcpNoDelay(true);
        return s;
    }

    /**
     * Asserts that a connection to {@code address} is refused with a reset (not a clean close or a
     * timeout); the reset may surface on the first socket call after the handshake or on the read.
     */
    public static void assertReset(InetSocketAddress address) {
        assertReset(address, null);
    }

    /** {@link #assertReset(InetSocketAddress)} from the local address {@code from} (null: the kernel's choice). */
    public static void assertReset(InetSocketAddress address, InetAddress from) {
        long start = System.nanoTime();
        Assertions.assertThrows(SocketException.class, () -> {
            try (Socket s = new Socket()) {
                s.bind(new InetSocketAddress(from, 0));
                s.setSoTimeout(5_000);
                s.connect(address, 1_000);
                s.getInputStream().read();
            }
        }, "expected a reset, not a clean close or a timeout");
        Assertions.assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5),
                "refusal must not wait for a timeout");
    }

    /** Reads one line (without the newline). */
    public static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            line.write(b);
        }
        if (b < 0 && line.size() == 0) {
            throw new IOException("connection closed before a line arrived");
        }
        return line.toString(StandardCharsets.US_ASCII);
    }

    /** Whether something accepts connections at {@code address}. */
    public static boolean reachable(InetSocketAddress address) {
        try (Socket s = new Socket()) {
            s.connect(address, 1_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A ClusterIP of its own in 127.0.0.0/8 with a port free on it, so no other test or process can hold
     * it; binding nothing there, the proxy can.
     */
    public static InetSocketAddress unusedLoopbackVip() throws IOException {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        InetAddress ip = InetAddress.getByAddress(
                new byte[] {127, (byte) r.nextInt(100, 200), (byte) r.nextInt(1, 255), (byte) r.nextInt(1, 255)});
        try (ServerSocket s = new ServerSocket(0, 1, ip)) {
            return new InetSocketAddress(ip, s.getLocalPort());
        }
    }

    /**
     * The {@code i}-th of a run of loopback addresses from 127.1.0.1 on: distinct clients, as ClientIP
     * affinity tells them apart, without any interface configuration.
     */
    public static InetAddress loopbackClient(int i) {
        return Addresses.parse("127.1." + i / 250 + '.' + (i % 250 + 1));
    }

    /** Connects, reads the backend's name line, closes. */
    public static String backendName(InetSocketAddress address) {
        return backendName(address, null);
    }

    /** Connects from {@code from} (null: the kernel's choice), reads the backend's name line, closes. */
    public static String backendName(InetSocketAddress address, InetAddress from) {
        try (Socket s = connect(address, from)) {
            return readLine(s.getInputStream());
        } catch (IOException e) {
            throw new UncheckedIOException("connect to " + address + " from " + from + " failed", e);
        }
    }
}
