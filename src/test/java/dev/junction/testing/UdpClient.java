package dev.junction.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;

/**
 * A UDP client on its own ephemeral port, connected to a proxy frontend: the kernel then accepts replies
 * only from the frontend's address and port.
 */
public final class UdpClient implements AutoCloseable {

    /** What a {@link UdpEchoBackend} answered: its name, the source port it saw, and the echoed bytes. */
    public record Reply(String backend, int sourcePort, byte[] payload) {
    }

    private final DatagramSocket socket;

    public UdpClient(InetSocketAddress frontend) {
        this(InetAddress.getLoopbackAddress(), frontend);
    }

    /** A client sending from {@code source}, a local address. */
    public UdpClient(InetAddress source, InetSocketAddress frontend) {
        try {
            socket = new DatagramSocket(new InetSocketAddress(source, 0));
            socket.setReceiveBufferSize(1 << 20);
            socket.connect(frontend);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return socket.getLocalPort();
    }

    public void send(byte[] payload) {
        try {
            socket.send(new DatagramPacket(payload, payload.length));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends {@code payload} and waits up to {@code timeout} for the reply; null if none came. */
    public Reply ask(byte[] payload, Duration timeout) {
        send(payload);
        return receive(timeout);
    }

    /** Waits up to {@code timeout} for the next reply; null if none came. */
    public Reply receive(Duration timeout) {
        byte[] buf = new byte[65_535];
        DatagramPacket in = new DatagramPacket(buf, buf.length);
        try {
            socket.setSoTimeout((int) timeout.toMillis());
            socket.receive(in);
        } catch (SocketTimeoutException | PortUnreachableException e) {
            // Port unreachable: nothing listened on the frontend when an earlier datagram arrived.
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int nl = 0;
        while (buf[nl] != '\n') {
            nl++;
        }
        String[] header = new String(buf, 0, nl, StandardCharsets.US_ASCII).split(" ");
        return new Reply(header[0], Integer.parseInt(header[1]), Arrays.copyOfRange(buf, nl + 1, in.getLength()));
    }

    /** Asks and expects a reply within five seconds. */
    public Reply ask(String text) {
        Reply r = ask(text.getBytes(StandardCharsets.US_ASCII), Duration.ofSeconds(5));
        if (r == null) {
            throw new AssertionError("no reply to \"" + text + "\" within 5 s");
        }
        return r;
    }

    @Override
    public void close() {
        socket.close();
    }
}
