package dev.junction.bench;

import dev.junction.capture.Capture;
import dev.junction.control.ControlPlane;
import dev.junction.dataplane.Transport;
import dev.junction.dataplane.tcp.TcpDataPlane;
import dev.junction.dataplane.tcp.TcpOptions;
import dev.junction.lb.ServiceBalancer;
import dev.junction.model.LbPolicy;
import dev.junction.model.Protocol;
import dev.junction.source.kube.KubeSource;
import dev.junction.source.kube.WatchSettings;
import io.kubernetes.client.openapi.ApiClient;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Scale benchmark of the Kubernetes API source (not a test): a fake API server holding N Services, each
 * with one EndpointSlice of E endpoints, on loopback VIPs ({@code 127.x.y.z}, so {@code --capture none}
 * binds them). Measures (1) initial list → every route live, and the heap after it; (2) a stream of
 * endpoint changes at R per second for S seconds: Junction's event-received → live latency and whether a
 * backlog builds up.
 *
 * <p>Run with the proxy's classes and dependencies on the class path, e.g.
 * {@code java -Xmx300m -cp target/classes:$(cat cp.txt):bench/target/classes dev.junction.bench.KubeScaleBench
 * 10000 10 1000 60}.
 */
public final class KubeScaleBench {

    private static final double OVER_NANOS = 1e6;

    private KubeScaleBench() {
    }

    /** Changes that went live within {@code nanos}. */
    private static double slo(Timer timer, double nanos) {
        for (var bucket : timer.takeSnapshot().histogramCounts()) {
            if (bucket.bucket() == nanos) {
                return bucket.count();
            }
        }
        throw new IllegalStateException("no bucket at " + nanos + " ns");
    }

    public static void main(String[] args) throws Exception {
        int services = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int endpoints = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int rate = args.length > 2 ? Integer.parseInt(args[2]) : 1_000;
        int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 60;

        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        meters.config().meterFilter(new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                return DistributionStatisticConfig.builder().percentiles(0.5, 0.99, 0.999)
                        .serviceLevelObjectives(OVER_NANOS)
                        .expiry(java.time.Duration.ofMinutes(10)).bufferLength(1).build().merge(config);
            }
        });
        try (ScaleApiServer api = new ScaleApiServer(services, endpoints);
             Transport transport = Transport.create(Transport.Kind.AUTO, 1)) {
            TcpDataPlane tcp = new TcpDataPlane(transport,
                    new TcpOptions(java.time.Duration.ofSeconds(1), 3, java.time.Duration.ZERO));
            ControlPlane control = new ControlPlane("node-a", List.of(), LbPolicy.ROUND_ROBIN,
                    Map.of(Protocol.TCP, tcp), Capture.none(), ServiceBalancer::create, meters);
            control.start();
            KubeSource source = new KubeSource(new ApiClient().setBasePath(api.url()), "node-a", control,
                    line -> System.err.println("problem: " + line), WatchSettings.defaults());
            long start = System.nanoTime();
            source.start();
            while (control.appliedBatches() == 0) {
                LockSupport.parkNanos(1_000_000);
            }
            double initialSeconds = (System.nanoTime() - start) / 1e9;
            System.gc();
            long heapMb = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20;
            System.out.printf("initial: %d services, %d endpoints: all routes live in %.2f s; heap after GC %d MB%n",
                    services, services * endpoints, initialSeconds, heapMb);

            Timer toLive = meters.timer("junction.event.to.live.duration");
            long sent = 0;
            long maxBacklog = 0;
            long period = TimeUnit.SECONDS.toNanos(1) / rate;
            long next = System.nanoTime();
            long end = next + TimeUnit.SECONDS.toNanos(seconds);
            long lastReport = next;
            long windowCount = 0;
            double windowOver = 0;
            int windowSeconds = 0;
            while (System.nanoTime() < end) {
                api.changeEndpoint((int) (sent % services), (int) (sent / services));
                sent++;
                next += period;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                if (System.nanoTime() - lastReport > TimeUnit.SECONDS.toNanos(1)) {
                    lastReport = System.nanoTime();
                    maxBacklog = Math.max(maxBacklog, sent - toLive.count());
                    if (++windowSeconds % 5 == 0) {
                        // Where the slow changes fall: spread out (pauses) or bunched at the start (warm-up).
                        double over = toLive.count() - slo(toLive, OVER_NANOS);
                        System.out.printf("  %2d s: %d changes, %.0f over %.1f ms%n", windowSeconds,
                                toLive.count() - windowCount, over - windowOver, OVER_NANOS / 1e6);
                        windowCount = toLive.count();
                        windowOver = over;
                    }
                }
            }
            long drainDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (toLive.count() < sent && System.nanoTime() < drainDeadline) {
                LockSupport.parkNanos(1_000_000);
            }
            System.out.printf("changes: %d sent, %d live; max backlog seen %d; event-to-live", sent,
                    toLive.count(), maxBacklog);
            for (ValueAtPercentile p : toLive.takeSnapshot().percentileValues()) {
                System.out.printf(" p%s=%.3f ms", p.percentile() * 100, p.value(TimeUnit.MILLISECONDS));
            }
            System.out.printf(" max=%.3f ms%n", toLive.max(TimeUnit.MILLISECONDS));
            Timer sync = meters.timer("kubeproxy.sync.proxy.rules.duration");
            System.out.printf("sync batches: %d, mean %.3f ms%n", sync.count(), sync.mean(TimeUnit.MILLISECONDS));
            source.close();
            control.close();
        }
    }

    /**
     * The fake API server: paged lists of generated Services and EndpointSlices, and a slice watch fed by
     * {@link #changeEndpoint}. Other watches stay open and quiet.
     */
    static final class ScaleApiServer implements AutoCloseable {
        private final int services;
        private final int endpoints;
        private final ServerSocket server;
        private final BlockingQueue<String> sliceEvents = new LinkedBlockingQueue<>();
        private volatile long version = 1_000;

        ScaleApiServer(int services, int endpoints) throws IOException {
            this.services = services;
            this.endpoints = endpoints;
            this.server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
            Thread t = new Thread(this::accept, "scale-apiserver");
            t.setDaemon(true);
            t.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getLocalPort();
        }

        /** Service {@code i}'s slice, with endpoint {@code round % endpoints} not ready. */
        void changeEndpoint(int i, int round) {
            version++;
            sliceEvents.add("{\"type\":\"MODIFIED\",\"object\":" + slice(i, round % endpoints, version) + "}\n");
        }

        private static String ip(int prefix, int i) {
            return prefix + "." + ((i >> 16) & 255) + "." + ((i >> 8) & 255) + "." + (i & 255);
        }

        private String service(int i) {
            String vip = ip(127, i + 256);
            return "{\"metadata\":{\"name\":\"svc-" + i + "\",\"namespace\":\"bench\",\"resourceVersion\":\"" + i
                    + "\"},\"spec\":{\"clusterIP\":\"" + vip + "\",\"clusterIPs\":[\"" + vip + "\"],\"type\":\"ClusterIP\","
                    + "\"ports\":[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"}]}}";
        }

        private String slice(int i, int notReady, long rv) {
            StringBuilder s = new StringBuilder("{\"kind\":\"EndpointSlice\",\"apiVersion\":\"discovery.k8s.io/v1\","
                    + "\"metadata\":{\"name\":\"svc-" + i + "-1\",\"namespace\":\"bench\",\"resourceVersion\":\"" + rv
                    + "\",\"labels\":{\"kubernetes.io/service-name\":\"svc-" + i + "\"}},\"addressType\":\"IPv4\","
                    + "\"ports\":[{\"name\":\"http\",\"port\":9000,\"protocol\":\"TCP\"}],\"endpoints\":[");
            for (int e = 0; e < endpoints; e++) {
                if (e > 0) {
                    s.append(',');
                }
                s.append("{\"addresses\":[\"").append(ip(10, i * endpoints + e)).append("\"],\"conditions\":{\"ready\":")
                        .append(e != notReady).append("}}");
            }
            return s.append("]}").toString();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread t = new Thread(() -> serve(s), "scale-apiserver-conn");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket socket) {
            try (socket) {
                InputStream in = new BufferedInputStream(socket.getInputStream());
                String request = readHead(in);
                String target = request.split(" ")[1];
                String path = target.contains("?") ? target.substring(0, target.indexOf('?')) : target;
                String query = target.contains("?") ? URLDecoder.decode(target.substring(target.indexOf('?') + 1),
                        StandardCharsets.UTF_8) : "";
                OutputStream out = socket.getOutputStream();
                if (query.contains("watch=true")) {
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                            + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    while (true) {
                        String line = path.endsWith("endpointslices") ? sliceEvents.poll(1, TimeUnit.SECONDS) : null;
                        if (line == null) {
                            if (!path.endsWith("endpointslices")) {
                                Thread.sleep(1_000);
                            }
                            continue;
                        }
                        byte[] data = line.getBytes(StandardCharsets.UTF_8);
                        out.write((Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.write(data);
                        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                    }
                }
                int offset = 0;
                int limit = Integer.MAX_VALUE;
                for (String param : query.split("&")) {
                    if (param.startsWith("continue=")) {
                        offset = Integer.parseInt(param.substring("continue=".length()));
                    } else if (param.startsWith("limit=")) {
                        limit = Integer.parseInt(param.substring("limit=".length()));
                    }
                }
                int total = path.endsWith("nodes") ? 0 : services;
                int to = (int) Math.min(total, (long) offset + limit);
                StringBuilder body = new StringBuilder("{\"metadata\":{\"resourceVersion\":\"" + version + "\"");
                if (to < total) {
                    body.append(",\"continue\":\"").append(to).append('"');
                }
                body.append("},\"items\":[");
                for (int i = offset; i < to; i++) {
                    if (i > offset) {
                        body.append(',');
                    }
                    body.append(path.endsWith("services") ? service(i) : slice(i, -1, i));
                }
                byte[] data = body.append("]}").toString().getBytes(StandardCharsets.UTF_8);
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + data.length
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(data);
                out.flush();
            } catch (IOException | InterruptedException e) {
                // Client gone or server closing.
            }
        }

        private static String readHead(InputStream in) throws IOException {
            StringBuilder head = new StringBuilder();
            int b;
            while ((b = in.read()) >= 0) {
                head.append((char) b);
                if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
                    break;
                }
            }
            return head.toString();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
