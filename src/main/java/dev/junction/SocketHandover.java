package dev.junction;

import dev.junction.dataplane.InheritedSockets;
import dev.junction.dataplane.Listener;
import dev.junction.dataplane.Transport;
import dev.junction.handover.HandedSocket;
import dev.junction.handover.HandoverClient;
import dev.junction.handover.HandoverServer;
import dev.junction.model.Frontend;
import dev.junction.model.Protocol;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This process's part in socket handovers. As the successor: takes the running Junction's listening sockets for
 * the data planes when the first sync binds ({@link #inherited}), and after that sync closes those no Service here
 * wants and tells the predecessor to stop; every failure is one line and this process binds for itself. Then, as
 * the running one, listens for the next Junction. The taking runs in the control context; the offering on the
 * handover's event loop.
 */
final class SocketHandover implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SocketHandover.class);

    /** For the whole exchange, and for the predecessor to stop listening once told. */
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final Path path;
    private final EventLoopGroup group;
    private final InheritedSockets inherited = new InheritedSockets(this::take);
    /** Set in the control context: the predecessor's connection, to confirm on after the first sync. */
    private HandoverClient.Outcome.Taken taken;
    /** The health, metrics and health-check node port servers' sockets handed over, by address, until adopted or closed. */
    private final Map<InetSocketAddress, FileDescriptor> operational = new ConcurrentHashMap<>();
    private volatile HandoverServer server;

    private SocketHandover(Path path, EventLoopGroup group) {
        this.path = path;
        this.group = group;
    }

    /**
     * The handover on {@code path} (null: none) for a process on {@code transport}; null when there is none,
     * or when the transport cannot adopt descriptors (NIO: said once).
     */
    static SocketHandover create(Path path, Transport transport) {
        if (path == null) {
            return null;
        }
        // UDP and the handover socket itself run on the datagram transport: epoll, also under io_uring.
        Transport datagrams = transport.datagrams();
        if (!transport.adoptsListeners() || !datagrams.name().equals("epoll")) {
            log.warn("handover: unavailable on the {} transport (descriptor passing needs epoll or io_uring); a "
                    + "restart of this Junction will refuse connections", transport.name());
            return null;
        }
        return new SocketHandover(path, datagrams.group());
    }

    /** What the data planes adopt; the handover is asked for on first use. */
    InheritedSockets inherited() {
        return inherited;
    }

    /** Runs in the control context, when the first sync opens its first frontend (or after it, if none). */
    private Map<Frontend, FileDescriptor> take() {
        HandoverClient.Outcome outcome = HandoverClient.take(path, group, TIMEOUT);
        if (outcome instanceof HandoverClient.Outcome.Failed failed) {
            log.info("handover: {}; binding for itself", failed.reason());
            return Map.of();
        }
        taken = (HandoverClient.Outcome.Taken) outcome;
        Map<Frontend, FileDescriptor> sockets = new HashMap<>();
        for (HandoverClient.Received r : taken.sockets()) {
            InetSocketAddress a = r.socket().address();
            switch (r.socket().role()) {
                case FRONTEND -> sockets.put(new Frontend(a.getAddress(), a.getPort(), r.socket().protocol()), r.fd());
                case HEALTH, METRICS, HEALTH_CHECK_NODE_PORT -> operational.put(wildcardAsOne(a), r.fd());
            }
        }
        log.info("handover: received {} listening sockets from the running Junction ({} of them its health and "
                + "metrics servers' and health-check node ports')", taken.sockets().size(), operational.size());
        return sockets;
    }

    /**
     * Runs in the control context after the first sync is programmed: closes the sockets no Service here wants,
     * runs {@code adoptOperational} (which may take the health and metrics servers' sockets with
     * {@link #operationalSocket}; those it leaves are closed), tells the predecessor (if any) that this process
     * holds the rest, then listens for the next Junction, offering {@code offer}.
     */
    void afterFirstSync(HandoverServer.Offer offer, Runnable adoptOperational) {
        List<Frontend> unwanted = inherited.closeRest();
        if (!unwanted.isEmpty()) {
            log.info("handover: closed {} sockets no Service here wants: {}", unwanted.size(), unwanted);
        }
        adoptOperational.run();
        operational.values().forEach(HandoverClient::closeQuietly);
        operational.clear();
        if (taken != null) {
            taken.confirm(TIMEOUT);
            log.info("handover: done; the previous Junction stops accepting and drains");
            taken = null;
        }
        try {
            server = HandoverServer.listen(path, group, offer);
            log.info("handover: listening on {} for the next Junction", path);
        } catch (IOException e) {
            log.warn("handover: {}; a restart of this Junction will refuse connections", e.getMessage());
        }
    }

    /**
     * On SIGTERM/SIGINT: if a new Junction is taking the sockets right now, waits until it holds them or gives
     * up (at most the exchange's deadline), so a process stopped mid-handover passes its sockets on rather than
     * closing them while its successor still binds for itself.
     */
    void letSuccessorFinish() throws InterruptedException {
        HandoverServer s = server;
        if (s != null && s.exchangeUnderWay()) {
            log.info("handover: stopping while a new Junction takes the sockets; letting it finish first (at most {})",
                    HandoverServer.EXCHANGE_DEADLINE);
            s.awaitExchange(HandoverServer.EXCHANGE_DEADLINE);
        }
    }

    /** An operational server's socket handed over for {@code address}, now the caller's; null if none. */
    FileDescriptor operationalSocket(InetSocketAddress address) {
        return operational.remove(wildcardAsOne(address));
    }

    /**
     * {@code address}, with either family's wildcard as IPv4's: a server bound to 0.0.0.0 on a dual-stack socket
     * (the operational servers' sockets are) reports {@code ::} as its address.
     */
    private static InetSocketAddress wildcardAsOne(InetSocketAddress address) {
        return address.getAddress().isAnyLocalAddress() ? new InetSocketAddress(address.getPort()) : address;
    }

    /** The socket of {@code listener}'s kind, as offered to the next Junction. */
    static HandoverServer.Offered frontend(Listener listener) {
        return new HandoverServer.Offered(new HandedSocket(HandedSocket.Role.FRONTEND, listener.frontend().protocol(),
                listener.localAddress()), listener.descriptor());
    }

    /** An operational server's socket (health, metrics, health-check node port), as offered to the next Junction. */
    static HandoverServer.Offered operational(HandedSocket.Role role, InetSocketAddress address, FileDescriptor fd) {
        return new HandoverServer.Offered(new HandedSocket(role, Protocol.TCP, address), fd);
    }

    @Override
    public void close() {
        HandoverServer s = server;
        if (s != null) {
            s.close();
        }
    }
}
