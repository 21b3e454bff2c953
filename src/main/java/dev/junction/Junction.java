package dev.junction;

import dev.junction.capture.Capture;
import dev.junction.capture.NodeAddresses;
import dev.junction.capture.RouteCapture;
import dev.junction.config.ProxyConfig;
import dev.junction.control.ControlPlane;
import dev.junction.dataplane.Transport;
import dev.junction.dataplane.tcp.TcpDataPlane;
import dev.junction.dataplane.tcp.TcpOptions;
import dev.junction.dataplane.udp.UdpDataPlane;
import dev.junction.dataplane.udp.UdpOptions;
import dev.junction.lb.ServiceBalancer;
import dev.junction.model.Cidr;
import dev.junction.model.LbPolicy;
import dev.junction.model.Protocol;
import dev.junction.source.file.ManifestSource;
import dev.junction.source.kube.KubeClients;
import dev.junction.source.kube.KubeSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running proxy: wires transport, data plane, control plane and source, and starts and stops them in
 * order (data plane first and last, so nothing is programmed into a plane that is not there; the capture
 * closes after the control plane, so its routes go once no listener is left to program). Not
 * thread-safe; start and close from one thread.
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
    /** Served by the metrics endpoint of a later issue; recorded from the start. */
    private final MeterRegistry meters = new SimpleMeterRegistry();

    public Junction(ProxyConfig config) {
        this.config = config;
    }

    /**
     * Starts everything; a Kubernetes configuration that cannot be found or loaded fails before anything
     * is allocated.
     *
     * @throws IllegalArgumentException naming the problem with the source's configuration
     */
    public Junction start() {
        KubeClients.Connection api = null;
        if (config.source() instanceof ProxyConfig.KubeApi kube) {
            api = KubeClients.connect(kube.kubeconfig(), kube.master(), System.getenv(),
                    Path.of(System.getProperty("user.home")));
        }
        boolean route = config.capture() == ProxyConfig.CaptureMode.ROUTE;
        List<Cidr> nodePortCidrs = config.nodePortAddresses().stream().map(Cidr::parse).toList();
        // Standalone mode serves NodePorts only when asked; on a node they are part of the job.
        List<InetAddress> nodePortAddresses = route || !nodePortCidrs.isEmpty()
                ? NodeAddresses.nodePortAddresses(nodePortCidrs)
                : List.of();
        // Route capture binds VIPs before their routes exist (IP_FREEBIND), which only epoll can do.
        transport = Transport.create(route ? Transport.Kind.EPOLL : Transport.Kind.AUTO, config.workers());
        capture = route ? RouteCapture.create(config.keepRoutes()) : Capture.none();
        TcpDataPlane tcp = new TcpDataPlane(transport,
                new TcpOptions(config.connectTimeout(), MAX_CONNECT_ATTEMPTS, config.idleTimeout(), route));
        UdpDataPlane udp = new UdpDataPlane(transport,
                UdpOptions.of(config.udpIdleTimeout(), config.udpMaxSessions(), route));
        control = new ControlPlane(config.nodeName(), nodePortAddresses, LbPolicy.parse(config.loadBalancing()),
                Map.of(Protocol.TCP, tcp, Protocol.UDP, udp), capture, ServiceBalancer::create, meters);
        control.start();
        String from;
        if (api != null) {
            KubeSource kube = new KubeSource(api.client(), config.nodeName(), control);
            source = kube;
            kube.start();
            from = "Kubernetes API at " + api.client().getBasePath() + " (" + api.description() + ")";
        } else {
            Path dir = ((ProxyConfig.Manifests) config.source()).dir();
            ManifestSource manifests = new ManifestSource(dir, control);
            source = manifests;
            manifests.start();
            from = "manifests " + dir;
        }
        log.info("junction started: node {}, capture {}, {} transport, {} workers, NodePort addresses {}, source: {}",
                config.nodeName(), config.capture().label(), transport.name(), config.workers(),
                nodePortAddresses.stream().map(InetAddress::getHostAddress).toList(), from);
        return this;
    }

    public ControlPlane control() {
        return control;
    }

    public MeterRegistry meters() {
        return meters;
    }

    public Transport transport() {
        return transport;
    }

    @Override
    public void close() {
        if (source != null) {
            try {
                source.close();
            } catch (Exception e) {
                log.warn("closing the source failed: {}", e.toString());
            }
        }
        if (control != null) {
            control.close();
        }
        if (capture != null) {
            capture.close();
        }
        if (transport != null) {
            transport.close();
        }
    }
}
