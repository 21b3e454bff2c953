package dev.junction.config;

import dev.junction.model.LbPolicy;
import java.time.Duration;
import java.util.function.Consumer;
import picocli.CommandLine.Option;

/**
 * The flags {@code run} and {@code demo} share: how the proxy serves, is observed and logs (a picocli mixin).
 * A flag not given stays null, so {@link #applyTo} sets only what the command line gives. Filled by picocli,
 * read once; not thread-safe.
 */
public final class CommonOptions {

    @Option(names = "--hostname-override", paramLabel = "NAME",
            description = "This node's name, for Local traffic policies and topology (default: the host name).")
    String hostnameOverride;

    @Option(names = "--workers", paramLabel = "N",
            description = "Event loops (default: the CPU count).")
    Integer workers;

    @Option(names = "--transport", paramLabel = "KIND",
            description = "Event loops' I/O: auto (the first of io_uring, epoll and nio that works here), "
                    + "io_uring, epoll or nio. Default: " + ProxyConfig.DEFAULT_TRANSPORT + ".")
    ProxyConfig.TransportMode transport;

    @Option(names = "--lb", paramLabel = "POLICY",
            description = "Default load balancing for Services without the junction.dev/lb annotation: "
                    + "round-robin or least-connections. Default: " + ProxyConfig.DEFAULT_LB + ".")
    LbPolicy lb;

    @Option(names = "--connect-timeout", paramLabel = "DURATION",
            description = "Timeout of each connect attempt to an endpoint. Default: "
                    + ProxyConfig.DEFAULT_CONNECT_TIMEOUT + ".")
    Duration connectTimeout;

    @Option(names = "--idle-timeout", paramLabel = "DURATION",
            description = "Close a TCP connection idle this long in both directions (checked every "
                    + "eighth of it, so within 1/8 more); 0 disables. Default: " + ProxyConfig.DEFAULT_IDLE_TIMEOUT + ".")
    Duration idleTimeout;

    @Option(names = "--half-close-timeout", paramLabel = "DURATION",
            description = "Close a TCP connection once one side has sent its FIN and nothing has moved either way "
                    + "for this long (HAProxy's timeout client-fin/server-fin); 0: only --idle-timeout applies. "
                    + "Default: " + ProxyConfig.DEFAULT_HALF_CLOSE_TIMEOUT + ".")
    Duration halfCloseTimeout;

    @Option(names = "--udp-idle-timeout", paramLabel = "DURATION",
            description = "Close a UDP session idle this long in both directions (kube-proxy's conntrack "
                    + "UDP timeout). Default: " + ProxyConfig.DEFAULT_UDP_IDLE_TIMEOUT + ".")
    Duration udpIdleTimeout;

    @Option(names = "--udp-max-sessions", paramLabel = "N",
            description = "UDP sessions (client address:port) of all frontends together, each holding a "
                    + "descriptor; beyond it new clients are refused and open sessions kept. Default: "
                    + ProxyConfig.DEFAULT_UDP_MAX_SESSIONS + ", leaving the other half to TCP.")
    Integer udpMaxSessions;

    @Option(names = "--healthz-bind-address", paramLabel = "IP:PORT",
            description = "Serve /healthz and /livez here (kube-proxy's semantics); empty disables. "
                    + "Default: " + OperationsConfig.DEFAULT_HEALTHZ + ".")
    String healthzBindAddress;

    @Option(names = "--metrics-bind-address", paramLabel = "IP:PORT",
            description = "Serve /metrics (Prometheus text or OpenMetrics) and /debug/routes here; empty disables. "
                    + "Default: " + OperationsConfig.DEFAULT_METRICS + ".")
    String metricsBindAddress;

    @Option(names = "--sync-period", paramLabel = "DURATION",
            description = "/healthz and /livez fail when a queued update stays unapplied for twice this. "
                    + "Default: " + OperationsConfig.DEFAULT_SYNC_PERIOD + ".")
    Duration syncPeriod;

    @Option(names = "--metrics-max-services", paramLabel = "N",
            description = "Service ports with metric series of their own; the rest are summed under "
                    + "service=\"other\". Default: " + OperationsConfig.DEFAULT_METRICS_MAX_SERVICES + ".")
    Integer metricsMaxServices;

    @Option(names = "--metrics-per-endpoint",
            description = "Also export per-endpoint series (connections, active, ejected).")
    Boolean metricsPerEndpoint;

    @Option(names = "--log-level", paramLabel = "LEVEL",
            description = "error, warn, info or debug. Default: " + ProxyConfig.DEFAULT_LOG_LEVEL + ".")
    LogLevel logLevel;

    @Option(names = "--log-format", paramLabel = "FORMAT",
            description = "text, or json (one JSON object per line, for log shippers). Default: "
                    + ProxyConfig.DEFAULT_LOG_FORMAT + ".")
    LogFormat logFormat;

    /** The defaults with the flags given on the command line: what the demo runs with. */
    public ProxyConfig.Builder settings() {
        return applyTo(ProxyConfig.builder());
    }

    /** Sets the flags given on the command line on {@code b}, over whatever it holds. */
    ProxyConfig.Builder applyTo(ProxyConfig.Builder b) {
        set(hostnameOverride, b::nodeName);
        set(workers, b::workers);
        set(transport, b::transport);
        set(lb, b::loadBalancing);
        set(connectTimeout, b::connectTimeout);
        set(idleTimeout, b::idleTimeout);
        set(halfCloseTimeout, b::halfCloseTimeout);
        set(udpIdleTimeout, b::udpIdleTimeout);
        set(udpMaxSessions, b::udpMaxSessions);
        set(healthzBindAddress, b::healthzBindAddress);
        set(metricsBindAddress, b::metricsBindAddress);
        set(syncPeriod, b::syncPeriod);
        set(metricsMaxServices, b::metricsMaxServices);
        set(metricsPerEndpoint, b::metricsPerEndpoint);
        set(logLevel, b::logLevel);
        set(logFormat, b::logFormat);
        return b;
    }

    /** A flag given on the command line (non-null) overrides whatever the builder holds. */
    static <T> void set(T flag, Consumer<T> setter) {
        if (flag != null) {
            setter.accept(flag);
        }
    }
}
