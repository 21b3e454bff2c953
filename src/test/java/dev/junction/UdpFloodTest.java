package dev.junction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.testing.Clients;
import dev.junction.testing.Conditions;
import dev.junction.testing.TestBackend;
import dev.junction.testing.UdpClient;
import dev.junction.testing.UdpEchoBackend;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14 item 1 on a real process whose open-files limit is lowered to {@value #OPEN_FILES}: a flood of more
 * new UDP sources than it has descriptors meets the default session cap (half the limit), is refused with
 * one log line and no stack trace, and a TCP connection and a UDP session opened before the flood are still
 * served. Before, the cap was 65,536, the sessions took every descriptor, and TCP accepts failed with EMFILE.
 */
class UdpFloodTest {

    private static final int OPEN_FILES = 500;
    private static final int FLOOD = 600;
    private static final String REFUSED = "UDP sessions for new clients refused";

    @TempDir
    Path dir;

    private Process process;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        if (process != null) {
            process.destroyForcibly().waitFor();
        }
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    @Test
    void aFloodPastTheDescriptorLimitIsRefusedAtTheDefaultCapWhileTcpAndOpenSessionsAreServed() throws Exception {
        UdpEchoBackend dns = UdpEchoBackend.start("dns");
        closeables.add(dns);
        TestBackend web = TestBackend.start("web");
        closeables.add(web);
        InetSocketAddress vip = Clients.unusedLoopbackVip();
        Path manifests = Files.createDirectory(dir.resolve("manifests"));
        Files.writeString(manifests.resolve("flood.yaml"), """
                apiVersion: v1
                kind: Service
                metadata: {name: flood, namespace: default}
                spec:
                  clusterIP: %1$s
                  ports:
                    - {name: dns, protocol: UDP, port: %2$d}
                    - {name: web, protocol: TCP, port: %2$d}
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: flood-1, namespace: default, labels: {kubernetes.io/service-name: flood}}
                addressType: IPv4
                ports:
                  - {name: dns, protocol: UDP, port: %3$d}
                  - {name: web, protocol: TCP, port: %4$d}
                endpoints: [{addresses: ["127.0.0.1"]}]
                """.formatted(vip.getAddress().getHostAddress(), vip.getPort(), dns.port(), web.port()));
        Path log = dir.resolve("junction.log");
        process = new ProcessBuilder("prlimit", "--nofile=" + OPEN_FILES + ":" + OPEN_FILES,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), "dev.junction.Main", "run",
                "--manifests", manifests.toString(), "--capture", "none", "--workers", "1",
                "--healthz-bind-address", "", "--metrics-bind-address", "", "--handover-socket", "")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Conditions.await("Junction serves the TCP port", Duration.ofSeconds(30), () -> Clients.reachable(vip));
        UdpClient existing = new UdpClient(vip);
        closeables.add(existing);
        int port = existing.ask("before the flood").sourcePort();

        byte[] query = "flood".getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < FLOOD; i++) {
            try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(Clients.loopbackClient(i), 0))) {
                s.send(new DatagramPacket(query, query.length, vip));
            }
        }
        Conditions.await("the flood refused at the cap", Duration.ofSeconds(30),
                () -> read(log).contains(REFUSED));

        assertEquals(port, existing.ask("during the flood").sourcePort(), "the session opened before is served");
        try (Socket tcp = Clients.connect(vip)) {
            assertEquals("web", Clients.readLine(tcp.getInputStream()), "a new TCP connection is served");
        }
        String output = read(log);
        assertEquals(1, output.lines().filter(l -> l.contains(REFUSED)).count(), output);
        assertTrue(output.lines().noneMatch(l -> l.startsWith("\tat ")), output);
        assertTrue(process.isAlive(), output);
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
