package dev.junction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import dev.junction.config.ProxyConfig;
import dev.junction.testing.Clients;
import dev.junction.testing.Conditions;
import dev.junction.testing.Http;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code junction routes} against a running Junction's metrics server. */
class RoutesCommandTest {

    @TempDir
    Path manifests;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void tableShowsARowPerEndpointAndJsonIsTheServedDocument() throws Exception {
        InetSocketAddress vip = Clients.unusedLoopbackVip();
        String host = vip.getAddress().getHostAddress();
        Files.writeString(manifests.resolve("web.yaml"), """
                apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: shop}
                spec:
                  clusterIP: %s
                  ports: [{name: http, port: %d}]
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: web-1, namespace: shop, labels: {kubernetes.io/service-name: web}}
                addressType: IPv4
                ports: [{name: http, port: 8080, protocol: TCP}]
                endpoints: [{addresses: ["127.0.0.21"]}, {addresses: ["127.0.0.22"]}]
                """.formatted(host, vip.getPort()));
        ProxyConfig config = ProxyConfig.builder().manifests(manifests).capture(ProxyConfig.CaptureMode.NONE)
                .nodeName("node-a").workers(1).healthzBindAddress("").metricsBindAddress("127.0.0.1:0")
                .shutdownGracePeriod(Duration.ofSeconds(1)).build();
        try (Junction junction = new Junction(config).start()) {
            Conditions.await("the first batch to be applied", () -> junction.control().appliedBatches() > 0);
            String server = "127.0.0.1:" + junction.metricsAddress().getPort();

            assertEquals(0, run("routes", "--server", server), err::toString);
            List<String> lines = out.toString().lines().toList();
            assertEquals(List.of("FRONTEND", "SERVICE", "POLICY", "ENDPOINT", "ACTIVE", "CONNECTIONS", "EJECTED"),
                    List.of(lines.get(0).split("\\s+")));
            String frontend = host + ":" + vip.getPort() + "/TCP";
            assertEquals(List.of(frontend, "shop/web:http/TCP", "round-robin", "127.0.0.21:8080", "0", "0", "no"),
                    List.of(lines.get(1).split("\\s+")));
            assertEquals(List.of(frontend, "shop/web:http/TCP", "round-robin", "127.0.0.22:8080", "0", "0", "no"),
                    List.of(lines.get(2).split("\\s+")));
            assertEquals(3, lines.size());
            assertEquals(lines.get(0).indexOf("SERVICE"), lines.get(1).indexOf("shop/"), "columns line up");

            out.getBuffer().setLength(0);
            assertEquals(0, run("routes", "--server", server, "-o", "json"));
            assertEquals(JsonParser.parseString(Http.get(junction.metricsAddress(), "/debug/routes").body()),
                    JsonParser.parseString(out.toString()));
        }
    }

    @Test
    void aFrontendWithoutEndpointsGetsOneRow() {
        String table = RoutesCommand.table("""
                {"frontends": [{"frontend": "10.0.0.1:53/UDP", "service": "kube-system/dns:dns/UDP", "listening": false,
                  "policy": "round-robin", "endpoints": []}], "servicePorts": []}
                """);
        assertEquals(List.of("10.0.0.1:53/UDP", "(not", "listening)", "kube-system/dns:dns/UDP", "round-robin", "<none>"),
                List.of(table.lines().toList().get(1).split("\\s+")));
    }

    @Test
    void nothingListeningIsOneLineAndExitCodeOne() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        assertEquals(1, run("routes", "--server", "127.0.0.1:" + port));
        assertEquals(1, err.toString().lines().count(), err::toString);
        assertTrue(err.toString().startsWith("junction routes: cannot read http://127.0.0.1:" + port + "/debug/routes"));
        assertEquals("", out.toString());
    }

    @Test
    void anUnknownOutputFormatIsAUsageError() {
        assertEquals(Main.USAGE, run("routes", "-o", "yaml"));
        assertTrue(err.toString().contains("-o"), err::toString);
    }
}
