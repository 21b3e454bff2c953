package dev.junction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.testing.Clients;
import dev.junction.testing.Conditions;
import dev.junction.testing.JunctionProcess;
import dev.junction.testing.Manifests;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM during traffic, on a real process: the exchange in flight completes, new connections are
 * refused at once, and the process exits 0.
 */
class GracefulShutdownTest {

    @TempDir
    Path dir;

    private Process process;
    private ServerSocket backend;

    @AfterEach
    void tearDown() throws IOException {
        if (process != null) {
            process.destroyForcibly();
        }
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void sigtermLetsInFlightConnectionsFinishRefusesNewOnesAndExitsZero() throws Exception {
        CountDownLatch requested = new CountDownLatch(1);
        CountDownLatch answer = new CountDownLatch(1);
        backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        slowBackend(requested, answer);

        InetSocketAddress vip = Clients.unusedLoopbackVip();
        Path manifests = Files.createDirectory(dir.resolve("manifests"));
        Files.writeString(manifests.resolve("slow.yaml"),
                Manifests.serviceWithOneEndpoint("slow", vip, backend.getInetAddress(), backend.getLocalPort()));
        Path log = dir.resolve("junction.log");
        process = JunctionProcess.start(manifests, log, "--healthz-bind-address", "127.0.0.1:0",
                "--metrics-bind-address", "127.0.0.1:0", "--shutdown-grace-period", "30s");
        Conditions.await("Junction listens on the Service", Duration.ofSeconds(30), () -> accepts(vip));

        try (Socket inFlight = Clients.connect(vip)) {
            inFlight.getOutputStream().write("request\n".getBytes(StandardCharsets.US_ASCII));
            assertTrue(requested.await(10, TimeUnit.SECONDS), "the backend got the request");

            process.destroy(); // SIGTERM
            Conditions.await("new connections are refused", () -> !accepts(vip));
            assertTrue(process.isAlive(), () -> "still draining the open connection, exit " + process.exitValue() + "\n" + readLog(log));

            answer.countDown();
            InputStream in = inFlight.getInputStream();
            assertEquals("response", Clients.readLine(in), "the in-flight exchange completes");
        }
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "exits once the connection is done");
        String output = Files.readString(log);
        assertEquals(0, process.exitValue(), output);
        assertTrue(output.contains("shutting down"), output);
    }

    private static String readLog(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** Reads a line, answers {@code response} once {@code answer} opens; a connection without a line is a probe. */
    private void slowBackend(CountDownLatch requested, CountDownLatch answer) {
        Thread t = new Thread(() -> {
            while (!backend.isClosed()) {
                try {
                    Socket s = backend.accept();
                    Thread c = new Thread(() -> {
                        try (s) {
                            String line = Clients.readLine(s.getInputStream());
                            if (line.equals("request")) {
                                requested.countDown();
                                answer.await();
                                s.getOutputStream().write("response\n".getBytes(StandardCharsets.US_ASCII));
                            }
                        } catch (IOException | InterruptedException ignored) {
                            // Probes close without a line.
                        }
                    }, "slow-backend-conn");
                    c.setDaemon(true);
                    c.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "slow-backend");
        t.setDaemon(true);
        t.start();
    }

    /** A connection is accepted and not reset within a moment: something listens at {@code vip}. */
    private static boolean accepts(InetSocketAddress vip) {
        try (Socket s = new Socket()) {
            s.connect(vip, 1_000);
            s.setSoTimeout(200);
            try {
                return s.getInputStream().read() != -2;
            } catch (java.net.SocketTimeoutException e) {
                return true;
            }
        } catch (IOException e) {
            return false;
        }
    }
}
