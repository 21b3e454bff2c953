package dev.junction.observe;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * kube-proxy's health port: {@code /healthz} (readiness: sync, node, shutdown) and {@code /livez} (sync
 * only), 200 or 503 with kube-proxy's JSON body ({@link ProxyHealth.Status#json}), each answer counted in
 * kube-proxy's {@code kubeproxy_proxy_healthz_total{code}} and {@code kubeproxy_proxy_livez_total{code}}.
 * Thread-safe.
 */
public final class HealthServer implements AutoCloseable {

    private final ProxyHealth health;
    private final Answers healthz;
    private final Answers livez;
    private final Channel channel;
    private final HttpServers http;

    public HealthServer(HttpServers http, InetSocketAddress address, ProxyHealth health, MeterRegistry meters)
            throws IOException {
        this.health = health;
        this.healthz = new Answers(meters, "kubeproxy.proxy.healthz", "Cumulative proxy healthz HTTP status");
        this.livez = new Answers(meters, "kubeproxy.proxy.livez", "Cumulative proxy livez HTTP status");
        this.http = http;
        this.channel = http.bind(address, this::handle);
    }

    /** One endpoint's answers by status code; both codes are registered up front so a dashboard sees 0, not nothing. */
    private static final class Answers {
        final Counter ok;
        final Counter unavailable;

        Answers(MeterRegistry meters, String name, String description) {
            ok = Counter.builder(name).tag("code", "200").description(description).register(meters);
            unavailable = Counter.builder(name).tag("code", "503").description(description).register(meters);
        }

        HttpServers.Reply reply(ProxyHealth.Status status) {
            (status.healthy() ? ok : unavailable).increment();
            return HttpServers.Reply.json(status.healthy() ? 200 : 503, status.json());
        }
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
        return switch (request.path()) {
            case "/healthz" -> healthz.reply(health.healthz());
            case "/livez" -> livez.reply(health.livez());
            default -> HttpServers.Reply.notFound();
        };
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
    }
}
