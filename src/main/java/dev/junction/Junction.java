package dev.junction;

import dev.junction.capture.Capture;
import dev.junction.config.ProxyConfig;
import dev.junction.control.ControlPlane;
import dev.junction.dataplane.Transport;
import dev.junction.dataplane.tcp.TcpDataPlane;
import dev.junction.dataplane.tcp.TcpOptions;
import dev.junction.dataplane.udp.UdpDataPlane;
import dev.junction.dataplane.udp.UdpOptions;
import dev.junction.model.LbPolicy;
import dev.junction.model.Protocol;
import dev.junction.source.file.ManifestSource;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running proxy: wires transport, data plane, control plane and source, and starts and stops them in
 * order (data plane first and last, so nothing is programmed into a plane that is not there). Not
 * thread-safe; start and close from one thread.
 */
public final class Junction implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Junction.class);

    /** Connect attempts per client connection, each to a different endpoint when there are several. */
    static final int MAX_CONNECT_ATTEMPTS = 3;

    private final ProxyConfig config;
    private Transport transport;
    private ControlPlane control;
    private ManifestSource source;

    public Junction(ProxyConfig config) {
        this.config = config;
    }

    public Junction start() {
        transport = Transport.create(Transport.Kind.AUTO, config.workers());
        TcpDataPlane tcp = new TcpDataPlane(transport,
                new TcpOptions(config.connectTimeout(), MAX_CONNECT_ATTEMPTS, config.idleTimeout()));
        UdpDataPlane udp = new UdpDataPlane(transport,
                UdpOptions.of(config.udpIdleTimeout(), config.udpMaxSessions()));
        control = new ControlPlane(config.nodeName(), LbPolicy.parse(config.loadBalancing()),
                Map.of(Protocol.TCP, tcp, Protocol.UDP, udp), Capture.none());
        control.start();
        source = new ManifestSource(config.manifests(), control);
        source.start();
        log.info("junction started: node {}, {} transport, {} workers, manifests {}", config.nodeName(),
                transport.name(), config.workers(), config.manifests());
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
        if (transport != null) {
            transport.close();
        }
    }
}
