package dev.junction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.testing.Clients;
import dev.junction.testing.Conditions;
import dev.junction.testing.Manifests;
import dev.junction.testing.Http;
import dev.junction.testing.JunctionProcess;
import dev.junction.testing.TestBackend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 14 item 2, on a real process whose open-files limit is lowered (prlimit) once it serves, never this
 * JVM's: far more clients than descriptors are left; accepting pauses and logs one line, not one per
 * failure, both failure counters count, and once the clients go a new connection is served again.
 */
class DescriptorExhaustionTest {

    /** Descriptors the proxy gets beyond those it holds once it serves: a dozen proxied connections. */
    private static final int HEADROOM = 24;
    private static final int CLIENTS = 150;
    /** How long the limit is held hit: the window the log is measured over, not a synchronisation. */
    private static final Duration EXHAUSTED = Duration.ofSeconds(2);

    @TempDir
    Path dir;

    private Process process;
    private final List<Socket> clients = new ArrayList<>();

    @AfterEach
    void tearDown() throws IOException {
        for (Socket s : clients) {
            s.close();
        }
        if (process != null) {
            process.destroyForcibly();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll", "nio"})
    void atTheDescriptorLimitAcceptPausesLogsOneLineCountsAndRecovers(String transport) throws Exception {
        try (TestBackend backend = TestBackend.start("b1")) {
            InetSocketAddress vip = Clients.unusedLoopbackVip();
            Path manifests = Files.createDirectory(dir.resolve("manifests"));
            Files.writeString(manifests.resolve("web.yaml"),
                    Manifests.serviceWithOneEndpoint("web", vip, backend.address(), backend.port()));
            Path log = dir.resolve("junction.log");
            process = JunctionProcess.start(manifests, log, "--transport", transport, "--healthz-bind-address", "",
                    "--metrics-bind-address", "127.0.0.1:0");
            Conditions.await("Junction serves the Service", Duration.ofSeconds(30), () -> served(vip));
            InetSocketAddress metrics = metricsAddress(Files.readString(log));

            int limit = openDescriptors() + HEADROOM;
            Process prlimit = new ProcessBuilder("prlimit", "--pid", Long.toString(process.pid()),
                    "--nofile=" + limit + ":" + limit).inheritIO().start();
            assertEquals(0, prlimit.waitFor(), "prlimit lowers the proxy's limit");
            long linesBefore = Files.readAllLines(log).size();

            for (int i = 0; i < CLIENTS; i++) {
                Socket s = Clients.connect(vip);
                clients.add(s);
                s.getOutputStream().write('x');
            }
            // Which fails first depends on the transport: the accept itself, or the socket towards the endpoint
            // of a connection accepted with the last descriptor (io_uring accepts ahead).
            Conditions.await("the limit is hit", () -> read(log).contains("cannot accept") || read(log).contains("no socket"));
            long end = System.nanoTime() + EXHAUSTED.toNanos();
            while (System.nanoTime() - end < 0 && process.isAlive()) {
                TimeUnit.MILLISECONDS.sleep(50);
            }
            List<String> during = Files.readAllLines(log).stream().skip(linesBefore).toList();

            for (Socket s : clients) {
                s.close();
            }
            clients.clear();
            Conditions.await("a new connection is served once descriptors are free", Duration.ofSeconds(20),
                    () -> served(vip));

            String text = String.join("\n", during);
            assertTrue(during.stream().filter(l -> l.contains("cannot accept")).count() <= 1, text);
            assertTrue(during.stream().filter(l -> l.contains("no socket")).count() <= 1, text);
            assertTrue(during.stream().filter(l -> l.contains("WARN")).count() <= 2,
                    "one line for accepts, at most one for backend sockets:\n" + text);
            assertTrue(during.stream().noneMatch(l -> l.contains("DefaultChannelPipeline") || l.startsWith("\tat ")),
                    "no stack trace or Netty warning per failure:\n" + text);
            String exposition = Http.get(metrics, "/metrics").body();
            double failures = Http.sample(exposition, "junction_tcp_accept_failures_total")
                    + Http.sample(exposition, "junction_tcp_connect_no_socket_total");
            assertTrue(failures > 1, "every failure is counted, not only the logged one: " + failures);
        }
    }

    private int openDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(process.pid()), "fd"))) {
            return (int) fds.count();
        }
    }

    /** A connection through the proxy reaches the backend and gets its greeting. */
    private static boolean served(InetSocketAddress vip) {
        try (Socket s = Clients.connect(vip)) {
            s.setSoTimeout(2_000);
            return "b1".equals(Clients.readLine(s.getInputStream()));
        } catch (IOException e) {
            return false;
        }
    }

    private static InetSocketAddress metricsAddress(String log) {
        Matcher m = Pattern.compile("metrics server on ([0-9.]+):(\\d+)").matcher(log);
        assertTrue(m.find(), log);
        return new InetSocketAddress(m.group(1), Integer.parseInt(m.group(2)));
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
