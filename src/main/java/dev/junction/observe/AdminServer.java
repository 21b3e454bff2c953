package dev.junction.observe;

import dev.junction.model.Cidr;
import dev.junction.model.ShortCircuit;
import io.netty.channel.Channel;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * The metrics port: {@code /metrics} (Prometheus text, or OpenMetrics when the Accept header asks for it),
 * kube-proxy's {@code /proxyMode} (the mode as plain text) and {@code /configz} (the configuration in use as
 * JSON, under {@code "kubeproxy.config.k8s.io"}), and {@code /debug/routes} (the live table as JSON:
 * frontends, route policy, endpoints with their state and connections, the endpoints this node's own clients
 * get instead under externalTrafficPolicy Local, and the counters of every service port). Thread-safe.
 */
public final class AdminServer implements AutoCloseable {

    private final ProxyMetrics metrics;
    private final LiveRoutes routes;
    private final String proxyMode;
    private final String configz;
    private final Channel channel;
    private final HttpServers http;

    /**
     * Serves {@code proxyMode} at {@code /proxyMode} and {@code configuration} (a KubeProxyConfiguration as
     * JSON) at {@code /configz}.
     */
    public AdminServer(HttpServers http, InetSocketAddress address, ProxyMetrics metrics, LiveRoutes routes,
            String proxyMode, String configuration) throws IOException {
        this.metrics = metrics;
        this.routes = routes;
        this.proxyMode = proxyMode;
        // kube-proxy's configz handler keys every registered configuration by its API group.
        this.configz = "{\"kubeproxy.config.k8s.io\":" + configuration + "}";
        this.http = http;
        this.channel = http.bind(address, this::handle);
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** The successor took the socket: closes this process's copy and the connections it accepted. */
    public void handedOver() {
        http.handOver(channel);
    }

    /** The listening socket's descriptor, to hand to the next Junction; null on NIO. */
    public FileDescriptor descriptor() {
        return HttpServers.descriptor(channel);
    }

    private HttpServers.Reply handle(HttpServers.Request request) {
        switch (request.path()) {
            case "/metrics" -> {
                String type = ProxyMetrics.contentType(request.accept());
                return HttpServers.Reply.text(200, type, metrics.scrape(type));
            }
            case "/proxyMode" -> {
                return HttpServers.Reply.text(200, "text/plain; charset=utf-8", proxyMode);
            }
            case "/configz" -> {
                return HttpServers.Reply.json(200, configz);
            }
            case "/debug/routes" -> {
                return HttpServers.Reply.json(200, routesJson(routes));
            }
            default -> {
                return HttpServers.Reply.notFound();
            }
        }
    }

    /** The live table; what an operator reads when traffic goes somewhere unexpected. */
    static String routesJson(LiveRoutes routes) {
        Json json = new Json().object().array("frontends");
        for (LiveRoutes.FrontendStatus f : routes.frontends()) {
            json.object()
                    .field("frontend", AddressText.frontend(f.frontend()))
                    .field("service", f.route().service().toString())
                    .field("kind", f.route().kind().name())
                    .field("listening", f.listening())
                    .field("policy", f.route().policy().label())
                    .field("affinityTimeoutSeconds", f.route().affinityTimeout().toSeconds())
                    .field("proxyProtocol", f.route().proxyProtocol().name().toLowerCase(java.util.Locale.ROOT));
            json.array("sourceRanges");
            for (Cidr c : f.route().sourceRanges().cidrs()) {
                json.value(c.toString());
            }
            json.endArray();
            ShortCircuit shortCircuit = f.route().shortCircuit();
            if (!shortCircuit.equals(ShortCircuit.NONE)) {
                // Who counts as this node's own client, and the endpoints such a client gets instead.
                json.object("shortCircuit").array("sources");
                shortCircuit.sources().cidrs().forEach(c -> json.value(c.toString()));
                json.endArray().array("endpoints");
                shortCircuit.endpoints().forEach(e -> json.value(AddressText.endpoint(e)));
                json.endArray().end();
            }
            json.array("endpoints");
            for (LiveRoutes.EndpointStatus e : f.endpoints()) {
                json.object()
                        .field("address", AddressText.endpoint(e.endpoint()))
                        .field("activeConnections", e.activeConnections())
                        .field("connections", e.connections())
                        .field("ejected", e.ejected())
                        .end();
            }
            json.endArray().end();
        }
        json.endArray().array("servicePorts");
        for (LiveRoutes.ServicePortStats s : routes.servicePorts()) {
            json.object()
                    .field("service", s.port().toString())
                    .field("accepted", s.accepted())
                    .field("active", s.active())
                    .field("failed", s.failed())
                    .field("retried", s.retried())
                    .field("bytesToEndpoints", s.bytesToEndpoints())
                    .field("bytesToClients", s.bytesToClients())
                    .field("ejections", s.ejections())
                    .end();
        }
        return json.endArray().end().toString();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
    }
}
