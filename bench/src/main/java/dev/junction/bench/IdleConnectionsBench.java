package dev.junction.bench;

import dev.junction.dataplane.FrontendHandle;
import dev.junction.dataplane.Transport;
import dev.junction.dataplane.tcp.TcpDataPlane;
import dev.junction.dataplane.tcp.TcpOptions;
import dev.junction.lb.ServiceBalancer;
import dev.junction.model.Endpoint;
import dev.junction.model.Frontend;
import dev.junction.model.FrontendKind;
import dev.junction.model.LbPolicy;
import dev.junction.model.Protocol;
import dev.junction.model.ServicePortName;
import dev.junction.model.ServiceRoute;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * What an idle proxied TCP connection costs Junction: the TCP data plane runs in this JVM (one event
 * loop, the production options: 1 s connect timeout, 1 h idle timeout); an echo backend and a client that
 * holds N connections run as separate processes (each process has its own descriptor limit). Heap is
 * measured after a full GC, direct memory from the data plane's own pool; both before and after the
 * connections, divided by N.
 *
 * <p>{@code java -cp bench/target/benchmarks.jar dev.junction.bench.IdleConnectionsBench [N]}
 */
public final class IdleConnectionsBench {

    private IdleConnectionsBench() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 8_000;
        String java = ProcessHandle.current().info().command().orElse("java");
        String cp = System.getProperty("java.class.path");
        int backendPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            backendPort = s.getLocalPort();
        }
        Process backend = new ProcessBuilder(java, "-Xmx256m", "-cp", cp, "dev.junction.bench.loadgen.LoadGen",
                "backend", "--echo-ports", Integer.toString(backendPort)).redirectErrorStream(true).start();
        Process client = null;
        try (Transport transport = Transport.create(Transport.Kind.AUTO, 1)) {
            awaitLine(backend, "backend ready");
            ServicePortName port = new ServicePortName("bench", "idle", "", Protocol.TCP);
            ServiceBalancer balancer = ServiceBalancer.create(port);
            TcpDataPlane plane = new TcpDataPlane(transport,
                    new TcpOptions(Duration.ofSeconds(1), 3, Duration.ofHours(1)));
            FrontendHandle frontend = plane.open(new Frontend(InetAddress.getLoopbackAddress(), 0, Protocol.TCP),
                    balancer.tables(List.of(new ServiceRoute(port, FrontendKind.CLUSTER_IP,
                            List.of(new Endpoint(InetAddress.getLoopbackAddress(), backendPort)),
                            LbPolicy.ROUND_ROBIN, Duration.ZERO))).get(0));
            long heapBefore = heapAfterGc();
            long directBefore = transport.pooledDirectMemory();

            client = new ProcessBuilder(java, "-Xmx512m", "-cp", cp, "dev.junction.bench.loadgen.LoadGen", "hold",
                    "--target", "127.0.0.1:" + frontend.localAddress().getPort(), "--connections", Integer.toString(n))
                    .redirectErrorStream(true).start();
            String held = awaitLine(client, "held");
            long heapAfter = heapAfterGc();
            long directAfter = transport.pooledDirectMemory();
            double heapPer = (heapAfter - heapBefore) / (double) n;
            double directPer = (directAfter - directBefore) / (double) n;
            System.out.printf("%s idle proxied connections (%s): heap %.0f B + pooled direct %.0f B = %.0f B each"
                    + " (%.2f KiB); heap %d -> %d KiB, direct %d -> %d KiB%n", n, held, heapPer, directPer,
                    heapPer + directPer, (heapPer + directPer) / 1024, heapBefore >> 10, heapAfter >> 10,
                    directBefore >> 10, directAfter >> 10);
            frontend.close();
        } finally {
            if (client != null) {
                client.getOutputStream().close();
                client.destroy();
            }
            backend.destroy();
        }
    }

    private static long heapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Reads the process's output until a line starts with {@code prefix}; fails if it ends first. */
    private static String awaitLine(Process p, String prefix) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        for (String line = out.readLine(); line != null; line = out.readLine()) {
            if (line.startsWith(prefix)) {
                return line;
            }
            System.err.println("  " + line);
        }
        throw new IllegalStateException("process ended before printing \"" + prefix + "\"");
    }
}
