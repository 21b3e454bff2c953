package dev.junction.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real TCP backend on loopback: on accept it sends its name and a newline, then echoes every byte
 * until the client half-closes, then closes. Counts connections accepted and currently open.
 */
public final class TestBackend implements AutoCloseable {

    private final String name;
    private final ServerSocket server;
    private final Thread acceptor;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();

    private TestBackend(String name, InetAddress address, int port) throws IOException {
        this.name = name;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(address, port), 512);
        this.acceptor = new Thread(this::acceptLoop, "backend-" + name);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public static TestBackend start(String name) throws IOException {
        return new TestBackend(name, InetAddress.getLoopbackAddress(), 0);
    }

    public static TestBackend start(String name, InetAddress address, int port) throws IOException {
        return new TestBackend(name, address, port);
    }

    public String name() {
        return name;
    }

    public InetAddress address() {
        return server.getInetAddress();
    }

    public int port() {
        return server.getLocalPort();
    }

    public int accepted() {
        return accepted.get();
    }

    public int openConnections() {
        return open.size();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                accepted.incrementAndGet();
                open.add(s);
                Thread t = new Thread(() -> serve(s), "backend-" + name + "-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            s.setTcpNoDelay(true);
            out.write((name + "\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
            }
            out.flush();
        } catch (IOException ignored) {
            // The peer went away; nothing to report for a test backend.
        } finally {
            open.remove(s);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : open) {
            s.close();
        }
    }
}
