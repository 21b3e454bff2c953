package dev.junction;

import static dev.junction.testing.Clients.readLine;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.junction.capture.Capture;
import dev.junction.config.ProxyConfig;
import dev.junction.model.Frontend;
import dev.junction.testing.Clients;
import dev.junction.testing.Conditions;
import dev.junction.testing.Manifests;
import dev.junction.testing.TestBackend;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14 item 6: a client still connected at the end of the shutdown grace period gets a RST, and gets it
 * before the capture removes the routes that carry it (after, it would sit ESTABLISHED forever).
 */
class ShutdownOrderTest {

    @TempDir
    Path manifests;

    /** A capture that installs nothing and, when it is closed, reads what the client's connection says then. */
    private static final class RecordingCapture implements Capture {
        Socket client;
        String clientAtRouteRemoval;

        @Override
        public boolean claim(Frontend frontend) {
            return true;
        }

        @Override
        public void release(Frontend frontend) {
        }

        @Override
        public void close() {
            try {
                client.setSoTimeout(1_000);
                int read = client.getInputStream().read();
                clientAtRouteRemoval = read == -1 ? "closed (FIN)" : "open, read " + read;
            } catch (SocketException e) {
                clientAtRouteRemoval = "reset";
            } catch (IOException e) {
                clientAtRouteRemoval = "still open: " + e;
            }
        }
    }

    @Test
    void connectionsLeftAfterTheGracePeriodAreResetBeforeTheRoutesAreRemoved() throws Exception {
        InetSocketAddress vip = Clients.unusedLoopbackVip();
        try (TestBackend backend = TestBackend.start("b1")) {
            Files.writeString(manifests.resolve("web.yaml"),
                    Manifests.serviceWithOneEndpoint("web", vip, backend.address(), backend.port()));
            ProxyConfig config = ProxyConfig.builder().manifests(manifests).capture(ProxyConfig.CaptureMode.NONE)
                    .nodeName("node-a").workers(1).healthzBindAddress("").metricsBindAddress("").build();
            RecordingCapture capture = new RecordingCapture();
            Junction junction = new Junction(config, capture).start();
            try {
                Conditions.await("Junction serves the Service", () -> Clients.reachable(vip));
                capture.client = Clients.connect(vip);
                InputStream in = capture.client.getInputStream();
                assertEquals("b1", readLine(in));

                junction.shutdown(Duration.ofMillis(100));
            } finally {
                junction.close();
            }
            capture.client.close();
            assertEquals("reset", capture.clientAtRouteRemoval, "the client's connection when the routes go");
            Conditions.await("the endpoint side is closed too", () -> backend.openConnections() == 0);
        }
    }
}
