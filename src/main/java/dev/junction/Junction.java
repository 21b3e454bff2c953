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
import java.net.InetAddress;
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
    private ManifestSource source;

    public Junction(ProxyConfig config) {
        this.config = config;
    }

    public Junction start() {
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
                Map.of(Protocol.TCP, tcp, Protocol.UDP, udp), capture, ServiceBalancer::create);
        control.start();
        source = new ManifestSource(config.manifests(), control);
        source.start();
        log.info("junction started: node {}, capture {}, {} transport, {} workers, NodePort addresses {}, manifests {}",
                config.nodeName(), config.capture().label(), transport.name(), config.workers(),
                nodePortAddresses.stream().map(InetAddress::getHostAddress).toList(), config.manifests());
        return this;
    }

    public ControlPlane control() {
        return control;
    }

    public Transport transport() {
        return transport;
    }

    @Override
    public void close() {
        if (source != null) {
            source.close();
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
