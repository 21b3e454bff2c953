package dev.junction.observe;

import io.netty.channel.Channel;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * kube-proxy's health port: {@code /healthz} (readiness: sync, node, shutdown) and {@code /livez} (sync
 * only), 200 or 503 with {@code {"lastUpdated": ..., "currentTime": ...}}. Thread-safe.
 */
public final class HealthServer implements AutoCloseable {

    private final ProxyHealth health;
    private final Channel channel;

    public HealthServer(HttpServers http, InetSocketAddress address, ProxyHealth health) throws IOException {
        this.health = health;
        this.channel = http.bind(address, this::handle);
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    private HttpServers.Reply handle(HttpServers.Request request) {
        ProxyHealth.Status status = switch (request.path()) {
            case "/healthz" -> health.healthz();
            case "/livez" -> health.livez();
            default -> null;
        };
        if (status == null) {
            return HttpServers.Reply.notFound();
        }
        return HttpServers.Reply.json(status.healthy() ? 200 : 503, status.json());
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
    }
}
