package dev.junction.observe;

import io.netty.channel.Channel;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service health server over HTTP, as kube-proxy's: one server per {@code healthCheckNodePort}, answering 200 with
 * {@code X-Load-Balancing-Endpoint-Weight: <local endpoints>} while the Service has a Ready endpoint on this
 * node and the proxy is healthy, else 503; body {@code {"service":{...},"localEndpoints":n,
 * "serviceProxyHealthy":b}}. Updates come from the control context; answers from the HTTP loop.
 */
public final class HttpServiceHealthServer implements ServiceHealthServer, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HttpServiceHealthServer.class);

    private final HttpServers http;
    private final InetAddress bindAddress;
    private final ProxyHealth health;
    private final Map<String, Check> checks = new HashMap<>();

    /** Servers bind {@code bindAddress} (the wildcard on a node) at each Service's port. */
    public HttpServiceHealthServer(HttpServers http, InetAddress bindAddress, ProxyHealth health) {
        this.http = http;
        this.bindAddress = bindAddress;
        this.health = health;
    }

    private final class Check {
        final String namespace;
        final String name;
        final int port;
        volatile int localEndpoints;
        Channel server;

        Check(String namespace, String name, int port) {
            this.namespace = namespace;
            this.name = name;
            this.port = port;
        }

        HttpServers.Reply answer(HttpServers.Request request) {
            int count = localEndpoints;
            boolean proxyHealthy = health.healthz().healthy();
            String body = new Json().object()
                    .object("service").field("namespace", namespace).field("name", name).end()
                    .field("localEndpoints", count)
                    .field("serviceProxyHealthy", proxyHealthy)
                    .end().toString();
            int status = count > 0 && proxyHealthy ? 200 : 503;
            return new HttpServers.Reply(status, "application/json",
                    Map.of("X-Load-Balancing-Endpoint-Weight", Integer.toString(count)),
                    body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    @Override
    public synchronized void update(String namespace, String name, int port, int localEndpoints) {
        String key = namespace + '/' + name;
        Check check = checks.get(key);
        if (check != null && check.port != port) {
            stop(checks.remove(key));
            check = null;
        }
        if (check == null) {
            check = new Check(namespace, name, port);
            checks.put(key, check);
        }
        check.localEndpoints = localEndpoints;
        if (check.server == null) {
            try {
                check.server = http.bind(new InetSocketAddress(bindAddress, port), check::answer);
                log.info("service {}: health check node port {} listening", key, port);
            } catch (IOException e) {
                // Retried on the Service's next update; traffic is unaffected.
                log.warn("service {}: health check node port: {}", key, e.getMessage());
            }
        }
    }

    @Override
    public synchronized void remove(String namespace, String name) {
        Check check = checks.remove(namespace + '/' + name);
        if (check != null) {
            stop(check);
        }
    }

    private static void stop(Check check) {
        if (check.server != null) {
            check.server.close().awaitUninterruptibly();
        }
    }

    /** The listening sockets serving now, with their descriptors (none on NIO), to hand to the next Junction. */
    public synchronized Map<InetSocketAddress, FileDescriptor> listening() {
        Map<InetSocketAddress, FileDescriptor> sockets = new HashMap<>();
        for (Check c : checks.values()) {
            if (c.server != null && HttpServers.descriptor(c.server) != null) {
                sockets.put((InetSocketAddress) c.server.localAddress(), HttpServers.descriptor(c.server));
            }
        }
        return sockets;
    }

    /**
     * Binds again the checks whose port could not be bound (held by a predecessor, whose socket {@link HttpServers}
     * may now adopt).
     */
    public synchronized void bindWaiting() {
        for (Check c : checks.values()) {
            if (c.server == null) {
                update(c.namespace, c.name, c.port, c.localEndpoints);
            }
        }
    }

    /** Closes this process's copies of the listening sockets: a successor holds them and answers from now on. */
    public synchronized void handedOver() {
        for (Check c : checks.values()) {
            if (c.server != null) {
                http.handOver(c.server);
            }
        }
    }

    /** Ports served right now, for tests and logs. */
    public synchronized int serving() {
        return (int) checks.values().stream().filter(c -> c.server != null).count();
    }

    @Override
    public synchronized void close() {
        checks.values().forEach(HttpServiceHealthServer::stop);
        checks.clear();
    }
}
