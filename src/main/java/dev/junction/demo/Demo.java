package dev.junction.demo;

import com.sun.net.httpserver.HttpServer;
import dev.junction.Junction;
import dev.junction.config.ProxyConfig;
import io.netty.util.NetUtil;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * {@code junction demo}: three HTTP backends on 127.0.0.1-3 (one port, as pods share a targetPort), the
 * embedded manifests written to a temporary directory with those ports filled in, and the proxy serving
 * them. Each response names the backend that served it. Not thread-safe; start and close from one thread.
 */
public final class Demo implements AutoCloseable {

    /** The ClusterIPs of the demo's two Services, from the embedded manifest. */
    public static final List<String> CLUSTER_IPS = List.of("127.77.0.10", "127.77.0.11");
    static final int DEFAULT_SERVICE_PORT = 8080;

    private final List<HttpServer> backends = new ArrayList<>();
    private Path manifests;
    private Junction junction;
    private int servicePort;

    /**
     * Runs until Ctrl-C. {@code beforeStart} gets the demo's configuration before the proxy starts (the
     * command line sets up logging from it).
     */
    public static int run(ProxyConfig.Builder settings, Consumer<ProxyConfig> beforeStart) throws Exception {
        Demo demo = new Demo();
        try {
            demo.start(settings, DEFAULT_SERVICE_PORT, beforeStart);
        } catch (Exception | Error e) {
            demo.close();
            throw e;
        }
        System.out.println("Junction demo: three backends behind two Services. Try:");
        for (String ip : CLUSTER_IPS) {
            System.out.println("  curl http://" + ip + ':' + demo.servicePort + "/");
        }
        System.out.println("Manifests (edit them live): " + demo.manifests.resolve("demo.yaml"));
        InetSocketAddress health = demo.junction.healthAddress();
        if (health != null) {
            System.out.println("Health:  curl http://" + curlable(health) + "/healthz");
        }
        InetSocketAddress metrics = demo.junction.metricsAddress();
        if (metrics != null) {
            System.out.println("Routes:  curl http://" + curlable(metrics) + "/debug/routes");
            System.out.println("Metrics: curl http://" + curlable(metrics) + "/metrics");
        }
        System.out.println("Ctrl-C to stop.");
        return Junction.untilSignal(Duration.ZERO, demo::close);
    }

    /**
     * Starts backends and proxy; the Services listen on {@code servicePort}. {@code settings} are completed
     * with the demo's own (its manifest directory, which exists only now; no capture) and then judged as a
     * whole, so a source flag conflicts as it would with {@code --manifests}. The health and metrics servers
     * start as with {@code run}; one whose port is taken (often by a kube-proxy or another demo) moves to a
     * free port, since the demo is there to be tried.
     */
    public Demo start(ProxyConfig.Builder settings, int servicePort) throws IOException {
        return start(settings, servicePort, config -> { });
    }

    private Demo start(ProxyConfig.Builder settings, int servicePort, Consumer<ProxyConfig> beforeStart)
            throws IOException {
        this.servicePort = servicePort;
        int backendPort = startBackends();
        manifests = Files.createTempDirectory("junction-demo");
        // The demo serves loopback addresses only: it never installs routes, even as root.
        ProxyConfig config = settings.manifests(manifests).capture(ProxyConfig.CaptureMode.NONE).build();
        InetSocketAddress health = config.operations().healthzBindAddress();
        if (health != null && isTaken(health)) {
            settings.healthzBindAddress(NetUtil.toSocketAddressString(health.getAddress().getHostAddress(), 0));
        }
        InetSocketAddress metrics = config.operations().metricsBindAddress();
        if (metrics != null && isTaken(metrics)) {
            settings.metricsBindAddress(NetUtil.toSocketAddressString(metrics.getAddress().getHostAddress(), 0));
        }
        config = settings.build();
        String yaml = template()
                .replace("${SERVICE_PORT}", Integer.toString(servicePort))
                .replace("${BACKEND_PORT}", Integer.toString(backendPort))
                .replace("${NODE}", config.nodeName());
        Files.writeString(manifests.resolve("demo.yaml"), yaml);
        beforeStart.accept(config);
        junction = new Junction(config).start();
        return this;
    }

    public Junction junction() {
        return junction;
    }

    public Path manifests() {
        return manifests;
    }

    public int servicePort() {
        return servicePort;
    }

    private int startBackends() throws IOException {
        int port = 0;
        for (int i = 1; i <= 3; i++) {
            InetAddress ip = InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) i});
            HttpServer server = HttpServer.create(new InetSocketAddress(ip, port), 64);
            port = server.getAddress().getPort();
            String name = "backend-" + i + " (" + ip.getHostAddress() + ':' + port + ")\n";
            byte[] body = name.getBytes(StandardCharsets.UTF_8);
            server.createContext("/", exchange -> {
                try (exchange; OutputStream out = exchange.getResponseBody()) {
                    exchange.getRequestBody().readAllBytes();
                    exchange.getResponseHeaders().set("Content-Type", "text/plain");
                    exchange.sendResponseHeaders(200, body.length);
                    out.write(body);
                }
            });
            server.setExecutor(Executors.newFixedThreadPool(2, r -> {
                Thread t = new Thread(r, "demo-" + name.substring(0, 9));
                t.setDaemon(true);
                return t;
            }));
            server.start();
            backends.add(server);
        }
        return port;
    }

    private static String template() {
        try (InputStream in = Demo.class.getResourceAsStream("demo.yaml")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws IOException {
        if (junction != null) {
            junction.close();
        }
        backends.forEach(s -> s.stop(0));
        if (manifests != null) {
            Files.deleteIfExists(manifests.resolve("demo.yaml"));
            Files.deleteIfExists(manifests);
        }
    }

    /** True when a TCP listener cannot bind {@code address} right now; port 0 is never taken. */
    private static boolean isTaken(InetSocketAddress address) {
        if (address.getPort() == 0) {
            return false;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(address);
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /** {@code address} as curl takes it: the wildcard address is reached through loopback. */
    private static String curlable(InetSocketAddress address) {
        String host = address.getAddress().isAnyLocalAddress()
                ? InetAddress.getLoopbackAddress().getHostAddress() : address.getAddress().getHostAddress();
        return NetUtil.toSocketAddressString(host, address.getPort());
    }

    /** A port free on the demo's ClusterIPs right now, for tests that must not assume 8080 is free. */
    public static int freeServicePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(CLUSTER_IPS.get(0)))) {
            return s.getLocalPort();
        }
    }
}
