package dev.junction.demo;

import com.sun.net.httpserver.HttpServer;
import dev.junction.Junction;
import dev.junction.config.ProxyConfig;
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
        System.out.println("Ctrl-C to stop.");
        return Junction.untilSignal(Duration.ZERO, demo::close);
    }

    /**
     * Starts backends and proxy; the Services listen on {@code servicePort}. {@code settings} are completed
     * with the demo's own (its manifest directory, which exists only now; no capture; no health or metrics
     * server) and then judged as a whole, so a source flag conflicts as it would with {@code --manifests}.
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
        ProxyConfig config = settings.manifests(manifests).capture(ProxyConfig.CaptureMode.NONE)
                .healthzBindAddress("").metricsBindAddress("").build();
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

    /** A port free on the demo's ClusterIPs right now, for tests that must not assume 8080 is free. */
    public static int freeServicePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(CLUSTER_IPS.get(0)))) {
            return s.getLocalPort();
        }
    }
}
