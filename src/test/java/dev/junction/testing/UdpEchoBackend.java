package dev.junction.testing;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real UDP backend on loopback: answers every datagram with a header line naming itself and the source
 * port it saw (the proxy session's socket), followed by the datagram's bytes. Counts datagrams received.
 */
public final class UdpEchoBackend implements AutoCloseable {

    private final String name;
    private final DatagramSocket socket;
    private final AtomicInteger received = new AtomicInteger();

    private UdpEchoBackend(String name, InetSocketAddress address) throws IOException {
        this.name = name;
        this.socket = new DatagramSocket(address);
        socket.setReceiveBufferSize(1 << 20);
        Thread t = new Thread(this::serve, "udp-backend-" + name);
        t.setDaemon(true);
        t.start();
    }

    public static UdpEchoBackend start(String name) throws IOException {
        return new UdpEchoBackend(name, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    public static UdpEchoBackend start(String name, InetAddress address, int port) throws IOException {
        return new UdpEchoBackend(name, new InetSocketAddress(address, port));
    }

    public String name() {
        return name;
    }

    public InetAddress address() {
        return socket.getLocalAddress();
    }

    public int port() {
        return socket.getLocalPort();
    }

    public int received() {
        return received.get();
    }

    private void serve() {
        byte[] buf = new byte[65_535];
        while (!socket.isClosed()) {
            try {
                DatagramPacket in = new DatagramPacket(buf, buf.length);
                socket.receive(in);
                received.incrementAndGet();
                byte[] header = (name + " " + in.getPort() + "\n").getBytes(StandardCharsets.US_ASCII);
                byte[] out = new byte[header.length + in.getLength()];
                System.arraycopy(header, 0, out, 0, header.length);
                System.arraycopy(in.getData(), in.getOffset(), out, header.length, in.getLength());
                socket.send(new DatagramPacket(out, out.length, in.getSocketAddress()));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
