package dev.junction;

import dev.junction.capture.Capture;
import dev.junction.capture.NodeAddresses;
import dev.junction.capture.RouteCapture;
import dev.junction.config.NodePortAddresses;
import dev.junction.config.OperationsConfig;
import dev.junction.config.ProxyConfig;
import dev.junction.control.ControlPlane;
import dev.junction.dataplane.InheritedSockets;
import dev.junction.dataplane.Transport;
import dev.junction.dataplane.tcp.TcpDataPlane;
import dev.junction.dataplane.tcp.TcpOptions;
import dev.junction.dataplane.udp.UdpDataPlane;
import dev.junction.dataplane.udp.UdpOptions;
import dev.junction.handover.HandedSocket;
import dev.junction.handover.HandoverServer;
import dev.junction.lb.ServiceBalancer;
import dev.junction.model.Protocol;
import dev.junction.observe.AdminServer;
import dev.junction.observe.HttpServiceHealthServer;
import dev.junction.observe.HealthServer;
import dev.junction.observe.HttpServers;
import dev.junction.observe.ProxyHealth;
import dev.junction.observe.ReadyFile;
import dev.junction.observe.ProxyMetrics;
import dev.junction.source.file.ManifestSource;
import dev.junction.source.kube.KubeClients;
import dev.junction.source.kube.ApiContentType;
import dev.junction.source.kube.ClientSettings;
import dev.junction.source.kube.KubeSource;
import io.netty.util.NetUtil;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running proxy: wires transport, data plane, control plane and source, and starts and stops them in
 * order (data plane first and last, so nothing is programmed into a plane that is not there; the capture
 * closes after the control plane and after the connections left are reset, so its routes go once no
 * listener is left to program and every client has had its RST), and, as a
 * process, serves until SIGTERM/SIGINT or until a successor took its sockets over the handover socket
 * ({@link #serveUntilSignal}; {@link SocketHandover}). Not thread-safe; start and close from one thread.
 */
public final class Junction implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Junction.class);

    /** Connect attempts per client connection, each to a different endpoint when there are several. */
    static final int MAX_CONNECT_ATTEMPTS = 3;

    private final ProxyConfig config;
    private Transport transport;
    private Capture capture;
    private ControlPlane control;
    private AutoCloseable source;
    private final OperationsConfig operations;
    private ProxyMetrics metrics;
    private ProxyHealth health;
    private HttpServers http;
    /** Written at start, or in the control context after a handover; read from any thread. */
    private volatile HealthServer healthServer;
    private volatile AdminServer adminServer;
    private HttpServiceHealthServer serviceHealth;
    private TcpDataPlane tcp;
    private UdpDataPlane udp;
    private SocketHandover handover;
    private ReadyFile readyFile;
    /** Counted down by SIGTERM/SIGINT, or by a successor that took the sockets. */
    private final CountDownLatch stop = new CountDownLatch(1);
    /** Counted down once a successor took the sockets and this process stopped accepting. */
    private final CountDownLatch stoppedAccepting = new CountDownLatch(1);
    /**
     * Started in a pod that had handed its sockets over: the record that says so, and this process serves
     * nothing, only waits for the signal; else null.
     */
    private Path superseded;
    /** Counted down by SIGTERM/SIGINT only. */
    private final CountDownLatch signalled = new CountDownLatch(1);
    /** Set when a successor took the sockets: System.nanoTime() then, else 0. */
    private volatile long handedOverAt;

    /** A proxy; health and metrics servers whose address is null are not started. */
    public Junction(ProxyConfig config) {
        this(config, null);
    }

    /** A proxy that uses {@code capture} rather than the one its configuration names, when not null. */
    Junction(ProxyConfig config, Capture capture) {
        this.config = config;
        this.operations = config.operations();
        this.capture = capture;
    }

    /**
     * Starts everything; a Kubernetes configuration that cannot be found or loaded fails before anything
     * is allocated.
     *
     * @throws IllegalArgumentException naming the problem with the source's configuration
     */
    public Junction start() {
        config.warnings().forEach(log::warn);
        Path marker = operations.readyFile() == null ? null : ReadyFile.handedOverMarker(operations.readyFile());
        if (operations.afterHandover() == OperationsConfig.AfterHandover.WAIT && marker != null && Files.exists(marker)) {
            // Said once the signal is handled (serveUntilSignal): a SIGTERM sent on seeing the line must not
            // find the JVM's default handler, which exits 143.
            superseded = marker;
            return this;
        }
        KubeClients.Connection api = null;
        if (config.source() instanceof ProxyConfig.KubeApi kube) {
            api = KubeClients.connect(kube.kubeconfig(), kube.master(), System.getenv(),
                    Path.of(System.getProperty("user.home")));
        }
        boolean route = config.capture() == ProxyConfig.CaptureMode.ROUTE;
        NodePortAddresses nodePorts = config.nodePortAddresses();
        Supplier<List<InetAddress>> nodePortLookup = nodePorts.primary()
                ? () -> NodeAddresses.primary(config.bindAddress())
                : () -> NodeAddresses.nodePortAddresses(nodePorts.prefixes());
        // Standalone mode serves NodePorts only when asked; on a node they are part of the job.
        boolean servesNodePorts = route || nodePorts.given();
        List<InetAddress> nodePortAddresses = servesNodePorts ? nodePortLookup.get() : List.of();
        // Route capture binds VIPs before their routes exist (IP_FREEBIND), which NIO cannot do: the data
        // planes refuse to start on it.
        transport = Transport.create(switch (config.transport()) {
            case AUTO -> Transport.Kind.AUTO;
            case IO_URING -> Transport.Kind.IO_URING;
            case EPOLL -> Transport.Kind.EPOLL;
            case NIO -> Transport.Kind.NIO;
        }, config.workers());
        if (capture == null) {
            capture = route ? RouteCapture.create(config.keepRoutes()) : Capture.none();
        }
        handover = SocketHandover.create(config.handoverSocket(), transport);
        InheritedSockets inherited = handover == null ? InheritedSockets.none() : handover.inherited();
        tcp = new TcpDataPlane(transport,
                new TcpOptions(config.connectTimeout(), MAX_CONNECT_ATTEMPTS, config.idleTimeout(),
                        config.halfCloseTimeout(), route), inherited);
        udp = new UdpDataPlane(transport,
                UdpOptions.of(config.udpIdleTimeout(), config.udpMaxSessions(), route), inherited);
        metrics = new ProxyMetrics(operations.metricsMaxServices(), operations.metricsPerEndpoint());
        // From the API, this node's Node object decides readiness: until it is read, /healthz fails.
        health = new ProxyHealth(Clock.systemUTC(), operations.healthLimit(), api != null);
        control = new ControlPlane(config.nodeName(), nodePortAddresses, config.loadBalancing(),
                Map.of(Protocol.TCP, tcp, Protocol.UDP, udp), capture, ServiceBalancer::create, metrics.registry());
        if (servesNodePorts) {
            control.followNodePortAddresses(nodePortLookup);
        }
        boolean podsByClusterCidr = config.detectLocalMode() == ProxyConfig.DetectLocalMode.CLUSTER_CIDR;
        if (podsByClusterCidr) {
            control.detectLocalPodsByClusterCidr(config.clusterCidrs());
        }
        if (handover != null) {
            control.afterFirstSync(() -> handover.afterFirstSync(new Offer(), this::adoptOperational));
        }
        startOperations();
        control.start();
        String from;
        if (api != null) {
            ProxyConfig.KubeClient client = config.kubeClient();
            KubeSource kube = new KubeSource(api.client(), config.nodeName(), control, new ClientSettings(
                    client.contentType() == ProxyConfig.ContentType.JSON ? ApiContentType.JSON : ApiContentType.PROTOBUF,
                    client.qps(), client.burst()));
            source = kube;
            metrics.bindKubeSource(kube::relistsServerBehind, kube::credentialsRefused);
            metrics.bindKubeListRateLimit(kube::listsThrottled);
            kube.start();
            from = "Kubernetes API at " + api.client().getBasePath() + " (" + api.description() + ")";
        } else {
            Path dir = ((ProxyConfig.Manifests) config.source()).dir();
            ManifestSource manifests = new ManifestSource(dir, control);
            source = manifests;
            manifests.start();
            from = "manifests " + dir;
        }
        log.info("junction started: node {}, capture {}, {} transport, {} workers, NodePort addresses {}, "
                + "local pods by {}, source: {}", config.nodeName(), config.capture().label(), transport.name(),
                config.workers(), nodePortAddresses.stream().map(NetUtil::toAddressString).toList(),
                config.detectLocalMode().label()
                        + (podsByClusterCidr ? " " + config.clusterCidrs() : " (the Node's spec.podCIDRs)"), from);
        return this;
    }

    /**
     * Metrics, health and health-check node ports; before the control plane starts, so they see its first
     * update. A server that cannot bind fails the start, unless its port waits for a handover.
     */
    private void startOperations() {
        metrics.bindJvm();
        metrics.bindNetty("dataplane", (io.netty.buffer.PooledByteBufAllocator) transport.allocator());
        metrics.bindUdp(udp::activeSessions, udp::refusedSessions, udp::expiredSessions, udp::droppedDatagrams);
        metrics.bindTcp(tcp::acceptFailures, tcp::connectsWithoutSocket);
        metrics.bindHealth(health);
        metrics.bindNoLocalEndpoints(control::internalWithoutLocalEndpoints, control::externalWithoutLocalEndpoints);
        metrics.routes(control.liveRoutes());
        long openFiles = ProxyConfig.openFilesLimit();
        http = new HttpServers(openFiles);
        metrics.bindHttp(http);
        log.info("operational HTTP servers: at most {} connections together (open-files limit {}), a request "
                + "within {}", http.maxConnections(), openFiles, HttpServers.REQUEST_TIMEOUT);
        // kube-proxy serves health-check node ports on every address of the node.
        serviceHealth = new HttpServiceHealthServer(http, new InetSocketAddress(0).getAddress(), health);
        control.observe(health, serviceHealth);
        try {
            // A port in use waits for the handover only when there is a Junction to take it from.
            openOperational(handover != null && Files.exists(config.handoverSocket()));
            if (operations.readyFile() != null) {
                readyFile = ReadyFile.start(operations.readyFile(), health::ready);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * Opens the health and metrics servers not open yet. With {@code mayWaitForHandover}, a port in use (by the
     * running Junction, most likely) is left for the handover, which passes that very socket.
     */
    private void openOperational(boolean mayWaitForHandover) throws IOException {
        InetSocketAddress healthz = operations.healthzBindAddress();
        if (healthz != null && healthServer == null && !waitsForHandover(mayWaitForHandover, "health server", healthz,
                () -> healthServer = new HealthServer(http, healthz, health, metrics.registry()))) {
            log.info("health server on {} (/healthz, /livez)", NetUtil.toSocketAddressString(healthServer.localAddress()));
        }
        InetSocketAddress metricsAt = operations.metricsBindAddress();
        if (metricsAt != null && adminServer == null && !waitsForHandover(mayWaitForHandover, "metrics server", metricsAt,
                () -> adminServer = new AdminServer(http, metricsAt, metrics, control.liveRoutes(), Configz.PROXY_MODE,
                        Configz.json(config)))) {
            log.info("metrics server on {} (/metrics, /proxyMode, /configz, /debug/routes)",
                    NetUtil.toSocketAddressString(adminServer.localAddress()));
        }
    }

    private interface Opening {
        void open() throws IOException;
    }

    /** Runs {@code opening}; true when its port is in use and {@code mayWait}: the handover will bring it. */
    private static boolean waitsForHandover(boolean mayWait, String server, InetSocketAddress address, Opening opening)
            throws IOException {
        try {
            opening.open();
            return false;
        } catch (IOException e) {
            if (!mayWait || !String.valueOf(e.getMessage()).contains("Address already in use")) {
                throw e;
            }
            log.info("{}: {} is in use, by the running Junction most likely: taken over with its sockets after the "
                    + "sync", server, NetUtil.toSocketAddressString(address));
            return true;
        }
    }

    /**
     * Runs in the control context after the first sync, during a handover: the health and metrics servers and
     * the health-check node ports left waiting adopt the sockets handed over, or bind; a health or metrics server
     * that still cannot is not served, said in one line (a health-check node port is tried again at its
     * Service's next update).
     */
    private void adoptOperational() {
        http.adoptFrom(handover::operationalSocket);
        serviceHealth.bindWaiting();
        try {
            openOperational(false);
        } catch (IOException e) {
            log.warn("{}; not served by this Junction", e.getMessage());
        }
    }

    /**
     * What this process hands to its successor: every open frontend's socket. When taken, it stops accepting on
     * its own thread (the handover's event loop may be a listener's), and the main thread drains.
     */
    private final class Offer implements HandoverServer.Offer {
        @Override
        public List<HandoverServer.Offered> sockets() {
            List<HandoverServer.Offered> offered = new ArrayList<>(
                    Stream.concat(tcp.listeners().list().stream(), udp.listeners().list().stream())
                            .filter(l -> l.descriptor() != null).map(SocketHandover::frontend).toList());
            HealthServer h = healthServer;
            if (h != null && h.descriptor() != null) {
                offered.add(SocketHandover.operational(HandedSocket.Role.HEALTH, h.localAddress(), h.descriptor()));
            }
            AdminServer a = adminServer;
            if (a != null && a.descriptor() != null) {
                offered.add(SocketHandover.operational(HandedSocket.Role.METRICS, a.localAddress(), a.descriptor()));
            }
            serviceHealth.listening().forEach((address, fd) -> offered.add(
                    SocketHandover.operational(HandedSocket.Role.HEALTH_CHECK_NODE_PORT, address, fd)));
            return offered;
        }

        @Override
        public void taken() {
            // Readiness fails before anyone can see the handover as done (a flag, cheap on this loop).
            health.stopping();
            handedOverAt = System.nanoTime();
            Thread t = new Thread(() -> {
                closeSource();
                // The successor holds copies of these sockets and answers on them from now on.
                if (healthServer != null) {
                    healthServer.handedOver();
                }
                if (adminServer != null) {
                    adminServer.handedOver();
                }
                serviceHealth.handedOver();
                tcp.handedOver();
                // UDP frontends stay open: their sessions' replies leave through them while they drain.
                udp.listeners().stopAccepting();
                markHandedOver();
                stoppedAccepting.countDown();
                stop.countDown();
            }, "junction-handed-over");
            t.setDaemon(true);
            t.start();
        }
    }

    /** With {@code --after-handover wait} and a ready file: records the handover for a restarted container. */
    private void markHandedOver() {
        if (operations.afterHandover() != OperationsConfig.AfterHandover.WAIT || operations.readyFile() == null) {
            return;
        }
        Path marker = ReadyFile.handedOverMarker(operations.readyFile());
        try {
            Files.writeString(marker, "pid " + ProcessHandle.current().pid() + "\n");
        } catch (IOException e) {
            log.warn("cannot record the handover in {} ({}): a restart of this container would take the sockets "
                    + "back", marker, e.toString());
        }
    }

    /**
     * After a handover: {@code /healthz} fails, nothing is accepted any more; open TCP connections and UDP
     * sessions get up to {@code grace} from the handover to finish, then {@link #close} ends what is left.
     */
    private void drain(Duration grace) throws InterruptedException {
        stoppedAccepting.await();
        log.info("handed over: draining {} connections and {} UDP sessions for up to {}", tcp.activeConnections(),
                udp.activeSessions(), grace);
        long deadline = handedOverAt + grace.toNanos();
        while ((tcp.activeConnections() > 0 || udp.activeSessions() > 0) && System.nanoTime() - deadline < 0) {
            Thread.sleep(50);
        }
        if (tcp.activeConnections() > 0 || udp.activeSessions() > 0) {
            log.warn("shutdown grace period over: closing {} connections and {} UDP sessions",
                    tcp.activeConnections(), udp.activeSessions());
        }
    }

    /** True once a successor took the sockets. */
    public boolean handedOver() {
        return handedOverAt != 0;
    }

    /**
     * Graceful shutdown: {@code /healthz} fails first, the source stops, listeners stop accepting, and open
     * TCP connections get up to {@code grace} to finish; {@link #close} then closes whatever is left.
     */
    public void shutdown(Duration grace) throws InterruptedException {
        log.info("shutting down: not ready, no new connections, up to {} for {} open connections to finish",
                grace, tcp == null ? 0 : tcp.activeConnections());
        if (health != null) {
            health.stopping();
        }
        closeSource();
        if (control != null) {
            control.close();
        }
        long deadline = System.nanoTime() + grace.toNanos();
        while (tcp != null && tcp.activeConnections() > 0 && System.nanoTime() - deadline < 0) {
            Thread.sleep(50);
        }
        long left = tcp == null ? 0 : tcp.activeConnections();
        if (left > 0) {
            log.warn("shutdown grace period over: resetting {} connections", left);
        }
    }

    /**
     * Serves until SIGTERM/SIGINT, then shuts down gracefully ({@link #shutdown} with the configured grace
     * period, then {@link #close}); or until a successor took the sockets, then drains, closes and, with
     * {@code --after-handover wait}, waits for SIGTERM/SIGINT. The process then exits 0. A signal that arrives
     * while a successor is taking the sockets lets it finish first, so a pod deleted mid-handover passes its
     * sockets on instead of closing them.
     */
    public int serveUntilSignal() throws Exception {
        Duration grace = operations.shutdownGracePeriod();
        // The shutdown hook's bound: a successor under way may take its deadline before the drain begins.
        Runnable handlingSignals = () -> {
            if (superseded != null) {
                log.warn("this pod already handed its sockets to a newer Junction ({} exists): a restarted "
                        + "container serves nothing and takes nothing back; waiting for SIGTERM", superseded);
            }
        };
        return untilSignal(stop, signalled, grace.plus(HandoverServer.EXCHANGE_DEADLINE), handlingSignals, () -> {
            if (superseded != null) {
                return;
            }
            try {
                if (!handedOver() && handover != null) {
                    handover.letSuccessorFinish();
                }
                if (handedOver()) {
                    drain(grace);
                } else {
                    shutdown(grace);
                }
            } finally {
                close();
            }
            if (handedOver() && operations.afterHandover() == OperationsConfig.AfterHandover.WAIT
                    && signalled.getCount() > 0) {
                log.info("handed over and drained: serving nothing, waiting for SIGTERM (--after-handover wait: "
                        + "a container that exits is restarted, and would take the sockets back)");
                signalled.await();
            }
        });
    }

    /**
     * Blocks until a successor took the sockets and this process has drained (then returns true), or until
     * {@code timeout} passes; for tests that run Junctions in one JVM, where no signal can stop one alone.
     */
    boolean awaitHandedOverAndDrained(Duration timeout) throws Exception {
        if (!stop.await(timeout.toMillis(), TimeUnit.MILLISECONDS) || !handedOver()) {
            return false;
        }
        drain(operations.shutdownGracePeriod());
        return true;
    }

    /** What to do once SIGTERM/SIGINT arrives. */
    public interface OnSignal {
        void stop() throws Exception;
    }

    /**
     * Blocks until SIGTERM/SIGINT, runs {@code onSignal} on this thread, and then ends the process with
     * exit code 0: the shutdown hook waits for {@code onSignal} (up to {@code grace} plus 15 s) and halts,
     * because a signal-initiated exit would report 128+signal although the shutdown was clean.
     */
    public static int untilSignal(Duration grace, OnSignal onSignal) throws Exception {
        CountDownLatch signalled = new CountDownLatch(1);
        return untilSignal(signalled, signalled, grace, () -> { }, onSignal);
    }

    /**
     * {@link #untilSignal(Duration, OnSignal)}, also ended by whoever counts {@code wake} down; the signal
     * counts down both {@code wake} and {@code signalled}. {@code handling} runs once the signal is handled.
     */
    private static int untilSignal(CountDownLatch wake, CountDownLatch signalled, Duration grace, Runnable handling,
            OnSignal onSignal) throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            wake.countDown();
            signalled.countDown();
            try {
                if (done.await(grace.toMillis() + 15_000, TimeUnit.MILLISECONDS)) {
                    Runtime.getRuntime().halt(0);
                }
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "junction-shutdown"));
        handling.run();
        try {
            wake.await();
            onSignal.stop();
        } finally {
            done.countDown();
        }
        return 0;
    }

    /** The health server's address, or null when not served. */
    public InetSocketAddress healthAddress() {
        return healthServer == null ? null : healthServer.localAddress();
    }

    /** The metrics server's address, or null when not served. */
    public InetSocketAddress metricsAddress() {
        return adminServer == null ? null : adminServer.localAddress();
    }

    public ProxyHealth health() {
        return health;
    }

    public ControlPlane control() {
        return control;
    }

    public Transport transport() {
        return transport;
    }

    private void closeSource() {
        if (source != null) {
            try {
                source.close();
            } catch (Exception e) {
                log.warn("closing the source failed: {}", e.toString());
            }
            source = null;
        }
    }

    @Override
    public void close() {
        if (readyFile != null) {
            readyFile.close();
        }
        if (handover != null) {
            handover.close();
        }
        if (serviceHealth != null) {
            serviceHealth.close();
        }
        if (healthServer != null) {
            healthServer.close();
        }
        if (adminServer != null) {
            adminServer.close();
        }
        if (http != null) {
            http.close();
        }
        closeSource();
        if (control != null) {
            control.close();
        }
        // Connections end before the routes go: a RST sent from a VIP still routed here reaches the client,
        // while one sent after would leave the client waiting on a connection that no longer exists.
        if (tcp != null) {
            tcp.resetAll();
        }
        if (capture != null && handedOver()) {
            log.info("route capture: leaving the local routes to the Junction that took over");
        } else if (capture != null) {
            capture.close();
        }
        if (transport != null) {
            transport.close();
        }
        if (metrics != null) {
            metrics.close();
        }
    }
}
