package dev.junction.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.model.Addresses;
import dev.junction.testing.Conditions;
import dev.junction.testing.Warnings;
import io.netty.channel.Channel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The operational servers under hostile clients: issue 14, item 3 ("the health port is an open door":
 * 19,990 idle connections to 0.0.0.0:10256 took Junction to the descriptor limit).
 */
class HttpServersTest {

    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private static final byte[] HEALTHZ =
            "GET /healthz HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final HttpServers.Handler OK = r -> HttpServers.Reply.text(200, "text/plain", "ok\n");

    @Test
    void aPortTakenIsReportedWithTheAddressInCompactForm() throws IOException {
        try (HttpServers http = new HttpServers(20_000)) {
            Channel first = http.bind(new InetSocketAddress(Addresses.parse("::1"), 0), r -> HttpServers.Reply.notFound());
            int port = ((InetSocketAddress) first.localAddress()).getPort();
            IOException e = assertThrows(IOException.class,
                    () -> http.bind(new InetSocketAddress(Addresses.parse("::1"), port), r -> HttpServers.Reply.notFound()));
            assertTrue(e.getMessage().startsWith("cannot listen on [::1]:" + port + ": "), e.getMessage());
        }
    }

    @Test
    void theCapIsASmallShareOfTheOpenFilesLimit() {
        assertEquals(16, HttpServers.maxConnections(1024));
        assertEquals(128, HttpServers.maxConnections(8192));
        assertEquals(256, HttpServers.maxConnections(20_000));
        assertEquals(256, HttpServers.maxConnections(Long.MAX_VALUE));
        assertEquals(16, HttpServers.maxConnections(0));
    }

    @Test
    void anIdleConnectionBeyondTheCapClosesTheOldestAndIsCountedWithOneLine() throws IOException {
        try (HttpServers http = new HttpServers(4, Duration.ofMinutes(1));
                Warnings warnings = new Warnings(HttpServers.class)) {
            InetSocketAddress server = address(http.bind(LOOPBACK, OK));
            try (Held idle = new Held()) {
                idle.open(server, 4);
                Conditions.awaitEquals("4 connections open", 4L, http::openConnections);
                idle.open(server, 3);

                for (int i = 0; i < 3; i++) {
                    assertEquals(-1, readWithin(idle.sockets.get(i), Duration.ofSeconds(10)), "the oldest are closed");
                }
                Conditions.awaitEquals("3 evicted", 3L, http::evictedConnections);
                assertEquals(4L, http.openConnections());
                assertEquals(1, warnings.lines.size(), "one line per interval: " + warnings.lines);
                assertTrue(warnings.lines.get(0).startsWith("operational HTTP servers at their cap of 4 connections"),
                        warnings.lines.get(0));
            }
        }
    }

    @Test
    void healthzAnswersWhileIdleConnectionsHoldTheCap() throws IOException {
        try (HttpServers http = new HttpServers(8, Duration.ofMinutes(1))) {
            InetSocketAddress health = address(http.bind(LOOPBACK, OK));
            try (Held idle = new Held()) {
                idle.open(health, 8);
                Conditions.awaitEquals("the cap held by idle connections", 8L, http::openConnections);

                // A kubelet probe: a fresh connection, one request at once.
                assertTrue(probe(health).startsWith("HTTP/1.1 200"));
                assertTrue(probe(health).startsWith("HTTP/1.1 200"));
            }
        }
    }

    @Test
    void aFloodAtOneServerClosesItsOwnConnectionsNotAnotherServers() throws IOException {
        try (HttpServers http = new HttpServers(8, Duration.ofMinutes(1))) {
            InetSocketAddress health = address(http.bind(LOOPBACK, OK));
            InetSocketAddress nodePort = address(http.bind(LOOPBACK, OK));
            try (Socket kept = connect(health); Held flood = new Held()) {
                Conditions.awaitEquals("the health connection open", 1L, http::openConnections);
                flood.open(nodePort, 20);
                Conditions.awaitEquals("13 of the flood evicted", 13L, http::evictedConnections);

                kept.getOutputStream().write(HEALTHZ);
                assertTrue(readAll(kept).startsWith("HTTP/1.1 200"), "the health connection was kept");
            }
        }
    }

    @Test
    void anIdleConnectionIsClosedAfterTheRequestTimeout() throws IOException {
        try (HttpServers http = new HttpServers(16, Duration.ofMillis(300))) {
            InetSocketAddress server = address(http.bind(LOOPBACK, OK));
            try (Socket idle = connect(server); Socket keptAlive = connect(server)) {
                keptAlive.getOutputStream().write(
                        "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertTrue(readLine(keptAlive).startsWith("HTTP/1.1 200"));

                assertEquals(-1, readWithin(idle, Duration.ofSeconds(10)), "no request at all");
                assertEquals(-1, readRest(keptAlive, Duration.ofSeconds(10)), "no next request on a kept-alive one");
                Conditions.awaitEquals("both counted", 2L, http::timedOutConnections);
            }
        }
    }

    @Test
    void aRequestTrickledByteByByteIsClosedAtTheTimeout() throws IOException, InterruptedException {
        try (HttpServers http = new HttpServers(16, Duration.ofMillis(300))) {
            InetSocketAddress server = address(http.bind(LOOPBACK, OK));
            try (Socket slowloris = connect(server)) {
                OutputStream out = slowloris.getOutputStream();
                int sent = 0;
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                try {
                    // Slower than the request could ever complete within the timeout: 50 ms a byte.
                    while (http.timedOutConnections() == 0 && System.nanoTime() - deadline < 0) {
                        out.write(HEALTHZ[sent++ % HEALTHZ.length]);
                        out.flush();
                        Thread.sleep(50);
                    }
                } catch (IOException closed) {
                    // Writing into a closed connection: what a trickling client sees.
                }
                assertEquals(1L, http.timedOutConnections());
                assertTrue(sent < HEALTHZ.length, "closed before the request was complete, after " + sent + " bytes");
                assertEquals(-1, readWithin(slowloris, Duration.ofSeconds(10)));
            }
        }
    }

    @Test
    void failedAcceptsAreCountedWithOneLineAndAcceptingResumes() throws IOException {
        try (HttpServers http = new HttpServers(16, Duration.ofMinutes(1));
                Warnings warnings = new Warnings(HttpServers.class)) {
            Channel listener = http.bind(LOOPBACK, OK);
            // What NIO delivers on the listener when accept(2) fails with EMFILE.
            listener.eventLoop().submit(() -> {
                for (int i = 0; i < 1_000; i++) {
                    listener.pipeline().fireExceptionCaught(new IOException("Too many open files"));
                }
            }).syncUninterruptibly();

            assertEquals(1_000L, http.acceptFailures());
            assertEquals(1, warnings.lines.size(), "one line, not one per failure: " + warnings.lines);
            assertTrue(warnings.lines.get(0).contains("cannot accept (Too many open files)"), warnings.lines.get(0));
            assertTrue(probe(address(listener)).startsWith("HTTP/1.1 200"), "accepting resumed after the pause");
        }
    }

    private static InetSocketAddress address(Channel server) {
        return (InetSocketAddress) server.localAddress();
    }

    private static Socket connect(InetSocketAddress server) throws IOException {
        Socket s = new Socket();
        s.connect(server, 5_000);
        return s;
    }

    private static String probe(InetSocketAddress server) throws IOException {
        try (Socket s = connect(server)) {
            s.getOutputStream().write(HEALTHZ);
            return readAll(s);
        }
    }

    private static String readAll(Socket s) throws IOException {
        s.setSoTimeout(10_000);
        return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    }

    private static String readLine(Socket s) throws IOException {
        s.setSoTimeout(10_000);
        InputStream in = s.getInputStream();
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != -1 && c != '\n'; c = in.read()) {
            line.append((char) c);
        }
        return line.toString();
    }

    /** The next byte, or -1 when the server closed the connection; fails if neither happens within {@code limit}. */
    private static int readWithin(Socket s, Duration limit) throws IOException {
        s.setSoTimeout((int) limit.toMillis());
        try {
            return s.getInputStream().read();
        } catch (SocketTimeoutException e) {
            throw new AssertionError("still open after " + limit, e);
        } catch (IOException reset) {
            return -1;
        }
    }

    /** Skips what is left of an answer; -1 once the server closed the connection. */
    private static int readRest(Socket s, Duration limit) throws IOException {
        int b;
        do {
            b = readWithin(s, limit);
        } while (b != -1);
        return b;
    }

    /** Connections a test holds open, oldest first; all closed at the end. */
    private static final class Held implements AutoCloseable {
        final List<Socket> sockets = new ArrayList<>();

        void open(InetSocketAddress server, int count) throws IOException {
            for (int i = 0; i < count; i++) {
                sockets.add(connect(server));
            }
        }

        @Override
        public void close() throws IOException {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }
}
