import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Issue 14 item 1, replayed: a UDP flood of distinct client source addresses at one Service of a Junction it
 * starts as a child process (bin/junction, manifests in a temporary directory, loopback only). It measures
 * heap (live, after a full GC, by jcmd) and direct memory (the JDK's direct pool or Netty's own counter,
 * from /metrics) before the flood, at its peak and after the sessions expired; the receive-buffer errors of
 * a burst of new sources (/proc/net/snmp, so other UDP traffic on this host counts too); the log's warning
 * and stack-trace lines; and whether a UDP session opened before the flood and a new TCP connection are
 * still answered at the peak. Every phase has a deadline; the child and the directory are removed at the end.
 *
 * <p>Run with bench/chaos/udp-flood.sh, or: {@code java bench/chaos/UdpFlood.java [--sources N] [--burst N]
 * [--seconds S] [--idle DURATION] [--launcher bin/junction] [-- junction flags...]}. The idle timeout (60 s by
 * default) must outlast the flood and the peak's measurement, or sessions expire while they are counted.
 */
public final class UdpFlood {

    private static final String VIP = "127.0.0.77";
    private static final int UDP_PORT = 5353;
    private static final int TCP_PORT = 8080;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    public static void main(String[] args) throws Exception {
        int sources = 50_000;
        int burst = 500;
        int seconds = 60;
        String idle = "60s";
        String launcher = "bin/junction";
        List<String> extra = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--sources" -> sources = Integer.parseInt(args[++i]);
                case "--burst" -> burst = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--idle" -> idle = args[++i];
                case "--launcher" -> launcher = args[++i];
                case "--" -> {
                    extra.addAll(List.of(args).subList(i + 1, args.length));
                    i = args.length;
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Path dir = Files.createTempDirectory("udp-flood");
        List<AutoCloseable> cleanup = new ArrayList<>();
        Process junction = null;
        try {
            DatagramChannel udpBackend = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
            cleanup.add(udpBackend);
            daemon(() -> echoUdp(udpBackend));
            ServerSocket tcpBackend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            cleanup.add(tcpBackend);
            daemon(() -> echoTcp(tcpBackend));
            int metricsPort = freePort();
            Path manifests = Files.createDirectory(dir.resolve("manifests"));
            Files.writeString(manifests.resolve("flood.yaml"), manifest(
                    ((InetSocketAddress) udpBackend.getLocalAddress()).getPort(), tcpBackend.getLocalPort()));
            Path log = dir.resolve("junction.log");
            List<String> command = new ArrayList<>(List.of(launcher, "run", "--manifests", manifests.toString(),
                    "--capture", "none", "--udp-idle-timeout", idle, "--healthz-bind-address", "",
                    "--metrics-bind-address", "127.0.0.1:" + metricsPort));
            command.addAll(extra);
            System.out.println("# " + String.join(" ", command));
            junction = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            String metrics = "http://127.0.0.1:" + metricsPort + "/metrics";
            InetSocketAddress udpVip = new InetSocketAddress(VIP, UDP_PORT);
            InetSocketAddress tcpVip = new InetSocketAddress(VIP, TCP_PORT);

            DatagramChannel canary = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
            cleanup.add(canary);
            canary.connect(udpVip);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!udpAnswered(canary) || !tcpAnswered(tcpVip)) {
                if (System.nanoTime() - deadline > 0 || !junction.isAlive()) {
                    throw new IllegalStateException("Junction did not serve within 30 s; see " + log);
                }
            }
            Map<String, Double> base = measure(junction.pid(), metrics);
            report("baseline", base);

            long rcvbufBefore = rcvbufErrors();
            int burstSent = flood(burst, 2, Duration.ofSeconds(seconds));
            long burstDrops = rcvbufErrors() - rcvbufBefore;
            settle(metrics, Duration.ofSeconds(10));
            System.out.printf("burst: %d new sources at once, %d receive-buffer errors (Udp RcvbufErrors), %.0f sessions%n",
                    burstSent, burstDrops, scrape(metrics, "junction_udp_sessions_active"));

            long started = System.nanoTime();
            int sent = flood(sources, 3, Duration.ofSeconds(seconds));
            System.out.printf("flood: %d new sources in %.1f s%n", sent, (System.nanoTime() - started) / 1e9);
            settle(metrics, Duration.ofSeconds(seconds));
            Map<String, Double> peak = measure(junction.pid(), metrics);
            report("peak", peak);
            double peakSessions = peak.get("sessions") - base.get("sessions");
            System.out.printf("per session (%.0f more sessions): heap %.0f B, direct %.0f B%n", peakSessions,
                    (peak.get("heap") - base.get("heap")) / peakSessions,
                    (peak.get("direct") - base.get("direct")) / peakSessions);
            System.out.printf("canaries at the peak: existing UDP session %s, new TCP connection %s%n",
                    udpAnswered(canary) ? "answered" : "FAILED", tcpAnswered(tcpVip) ? "answered" : "FAILED");
            logLines(log);

            long expiry = System.nanoTime() + Duration.parse("PT" + idle.toUpperCase()).multipliedBy(3).toNanos()
                    + TimeUnit.SECONDS.toNanos(10);
            // The canary keeps its own session; every flood session has to go.
            while (scrape(metrics, "junction_udp_sessions_active") > 1 && System.nanoTime() - expiry < 0) {
                udpAnswered(canary);
                Thread.sleep(1000); // polling the metric, bounded by the deadline above
            }
            Map<String, Double> after = measure(junction.pid(), metrics);
            report("after expiry", after);
            System.out.printf("canaries after expiry: existing UDP session %s, new TCP connection %s%n",
                    udpAnswered(canary) ? "answered" : "FAILED", tcpAnswered(tcpVip) ? "answered" : "FAILED");
            logLines(log);
        } finally {
            if (junction != null) {
                junction.destroy();
                if (!junction.waitFor(20, TimeUnit.SECONDS)) {
                    junction.destroyForcibly().waitFor();
                }
            }
            for (AutoCloseable c : cleanup) {
                c.close();
            }
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static String manifest(int udpBackendPort, int tcpBackendPort) {
        return """
                apiVersion: v1
                kind: Service
                metadata: {name: flood, namespace: chaos}
                spec:
                  clusterIP: %s
                  ports:
                    - {name: dns, protocol: UDP, port: %d, targetPort: %d}
                    - {name: web, protocol: TCP, port: %d, targetPort: %d}
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: flood-1
                  namespace: chaos
                  labels: {kubernetes.io/service-name: flood}
                addressType: IPv4
                ports:
                  - {name: dns, protocol: UDP, port: %d}
                  - {name: web, protocol: TCP, port: %d}
                endpoints:
                  - addresses: ["127.0.0.1"]
                    conditions: {ready: true}
                """.formatted(VIP, UDP_PORT, udpBackendPort, TCP_PORT, tcpBackendPort, udpBackendPort, tcpBackendPort);
    }

    /**
     * One datagram from each of {@code n} new sources, {@code 127.0.0.<firstHost + i / 20000>} port
     * {@code 10000 + i % 20000}: below the ephemeral range, so no two repeat and none collides with the
     * proxy's own sockets. Each socket is closed after sending, so the flood holds no descriptors of its own.
     */
    private static int flood(int n, int firstHost, Duration limit) throws IOException {
        long deadline = System.nanoTime() + limit.toNanos();
        ByteBuffer payload = ByteBuffer.wrap("flood".getBytes(StandardCharsets.US_ASCII));
        InetSocketAddress vip = new InetSocketAddress(VIP, UDP_PORT);
        int sent = 0;
        for (int i = 0; i < n && System.nanoTime() - deadline < 0; i++) {
            InetSocketAddress source = new InetSocketAddress("127.0.0." + (firstHost + i / 20_000), 10_000 + i % 20_000);
            try (DatagramChannel ch = DatagramChannel.open()) {
                ch.bind(source);
                ch.send(payload.rewind(), vip);
                sent++;
            } catch (IOException e) {
                // A source port another process holds: skip it.
            }
        }
        return sent;
    }

    /** Waits (up to {@code limit}) until the session count stops moving for two seconds; returns it. */
    private static double settle(String metrics, Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        double last = -1;
        int still = 0;
        while (still < 2 && System.nanoTime() - deadline < 0) {
            Thread.sleep(1000); // polling the metric, bounded by the deadline above
            double now = scrape(metrics, "junction_udp_sessions_active");
            still = now == last ? still + 1 : 0;
            last = now;
        }
        return last;
    }

    /** The session count is read before the heap, whose full GC takes a while, so both describe one moment. */
    private static Map<String, Double> measure(long pid, String metrics) throws Exception {
        Map<String, Double> m = new TreeMap<>();
        m.put("sessions", scrape(metrics, "junction_udp_sessions_active"));
        m.put("heap", liveHeap(pid));
        // Netty's counter covers the buffers it allocates; the JDK's pool covers every ByteBuffer.allocateDirect,
        // Netty's too when it allocates them with cleaners (as on JDK 17 without --add-opens), so the larger.
        m.put("direct", Math.max(scrape(metrics, "jvm_buffer_memory_used_bytes{id=\"direct\"}"),
                scrape(metrics, "netty_direct_memory_used_bytes")));
        m.put("pool", scrape(metrics, "netty_allocator_direct_memory_used_bytes"));
        m.put("refused", scrape(metrics, "junction_udp_sessions_refused_total"));
        m.put("descriptors", scrape(metrics, "process_open_fds"));
        return m;
    }

    private static void report(String phase, Map<String, Double> m) {
        System.out.printf("%s: sessions %.0f, heap %.1f MB, direct %.1f MB (pool %.1f MB), open fds %.0f, refused %.0f%n",
                phase, m.get("sessions"), m.get("heap") / 1e6, m.get("direct") / 1e6, m.get("pool") / 1e6,
                m.get("descriptors"), m.get("refused"));
    }

    /** Live heap bytes: jcmd's class histogram runs a full GC first. */
    private static double liveHeap(long pid) throws Exception {
        Process p = new ProcessBuilder("jcmd", Long.toString(pid), "GC.class_histogram").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        Matcher total = Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)").matcher(out);
        if (!total.find()) {
            throw new IllegalStateException("no class histogram: " + out);
        }
        return Double.parseDouble(total.group(1));
    }

    /** A sample's value from the exposition; NaN if absent. */
    private static double scrape(String url, String sample) throws Exception {
        String body = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(sample) + "(?:\\{[^}]*\\})?\\s+(\\S+)$").matcher(body);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    private static long rcvbufErrors() throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/net/snmp"));
        for (int i = 0; i + 1 < lines.size(); i++) {
            if (lines.get(i).startsWith("Udp:") && lines.get(i + 1).startsWith("Udp:")) {
                List<String> names = List.of(lines.get(i).split("\\s+"));
                return Long.parseLong(lines.get(i + 1).split("\\s+")[names.indexOf("RcvbufErrors")]);
            }
        }
        throw new IllegalStateException("no Udp line in /proc/net/snmp");
    }

    private static void logLines(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log);
        System.out.printf("log: %d lines (%d bytes), %d WARN, %d ERROR, %d stack-trace lines%n", lines.size(),
                Files.size(log), lines.stream().filter(l -> l.contains("WARN")).count(),
                lines.stream().filter(l -> l.contains("ERROR")).count(),
                lines.stream().filter(l -> l.startsWith("\tat ")).count());
        // Which warnings: each distinct line with its numbers blanked, and how often it came.
        lines.stream().filter(l -> l.contains("WARN") || l.contains("ERROR"))
                .map(l -> l.replaceAll("^.*?(WARN|ERROR)", "$1").replaceAll("[0-9]+", "N"))
                .collect(Collectors.groupingBy(l -> l.length() > 160 ? l.substring(0, 160) : l,
                        TreeMap::new, Collectors.counting()))
                .forEach((line, n) -> System.out.printf("  %d x %s%n", n, line));
    }

    /** Sends a datagram on the kept session and waits a second for the echo. */
    private static boolean udpAnswered(DatagramChannel canary) throws IOException {
        canary.write(ByteBuffer.wrap("canary".getBytes(StandardCharsets.US_ASCII)));
        canary.socket().setSoTimeout(1000);
        try {
            return receive(canary.socket()) > 0;
        } catch (SocketTimeoutException | java.net.PortUnreachableException e) {
            return false;
        }
    }

    private static int receive(java.net.DatagramSocket s) throws IOException {
        java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[64], 64);
        s.receive(p);
        return p.getLength();
    }

    /** A new TCP connection through the Service: one line out, the same line back within 2 s. */
    private static boolean tcpAnswered(InetSocketAddress vip) {
        try (Socket s = new Socket()) {
            s.connect(vip, 2000);
            s.setSoTimeout(2000);
            s.getOutputStream().write("canary\n".getBytes(StandardCharsets.US_ASCII));
            byte[] back = s.getInputStream().readNBytes(7);
            return new String(back, StandardCharsets.US_ASCII).equals("canary\n");
        } catch (IOException e) {
            return false;
        }
    }

    private static void echoUdp(DatagramChannel ch) {
        ByteBuffer buf = ByteBuffer.allocateDirect(65_536);
        try {
            while (true) {
                buf.clear();
                java.net.SocketAddress from = ch.receive(buf);
                buf.flip();
                ch.send(buf, from);
            }
        } catch (IOException e) {
            // closed at the end
        }
    }

    private static void echoTcp(ServerSocket server) {
        try {
            while (true) {
                Socket s = server.accept();
                daemon(() -> {
                    try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                        in.transferTo(out);
                    } catch (IOException e) {
                        // the canary went away
                    }
                });
            }
        } catch (IOException e) {
            // closed at the end
        }
    }

    private static void daemon(Runnable r) {
        Thread t = new Thread(r);
        t.setDaemon(true);
        t.start();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
