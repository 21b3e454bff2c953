package dev.junction.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * How Junction is operated, beside what it proxies: where the health and metrics servers listen (null: not
 * served), the sync period whose double is the health limit, the shutdown grace period, and the metrics'
 * cardinality settings. Immutable, validated on construction with one message naming the setting.
 *
 * @param healthzBindAddress   {@code /healthz}, {@code /livez} (kube-proxy: {@code 0.0.0.0:10256}); null disables
 * @param metricsBindAddress   {@code /metrics}, {@code /debug/routes} (kube-proxy: {@code 127.0.0.1:10249}); null disables
 * @param syncPeriod           unhealthy when a queued update stays unapplied for twice this
 * @param shutdownGracePeriod  on SIGTERM, how long open connections may take to finish
 * @param metricsMaxServices   service ports with series of their own; the rest are summed under "other"
 * @param metricsPerEndpoint   also export per-endpoint series
 * @param afterHandover        what this process does once a successor took its sockets and it has drained
 * @param readyFile            a file present exactly while this process is ready; null: none
 */
public record OperationsConfig(InetSocketAddress healthzBindAddress, InetSocketAddress metricsBindAddress,
        Duration syncPeriod, Duration shutdownGracePeriod, int metricsMaxServices, boolean metricsPerEndpoint,
        AfterHandover afterHandover, Path readyFile) {

    // The defaults as the flags spell them: the help text shows these very constants.
    /** kube-proxy's health port (ports.ProxyHealthzPort), also for a bare IP in the config file. */
    public static final int HEALTHZ_PORT = 10256;
    /** kube-proxy's metrics port (ports.ProxyStatusPort), also for a bare IP in the config file. */
    public static final int METRICS_PORT = 10249;
    public static final String DEFAULT_HEALTHZ = "0.0.0.0:" + HEALTHZ_PORT;
    public static final String DEFAULT_METRICS = "127.0.0.1:" + METRICS_PORT;
    public static final String DEFAULT_SYNC_PERIOD = "30s";
    public static final String DEFAULT_SHUTDOWN_GRACE_PERIOD = "30s";
    public static final int DEFAULT_METRICS_MAX_SERVICES = 1000;

    /**
     * What a Junction that handed its sockets over does once drained. In a pod it must not exit: the kubelet
     * restarts a container that exits, even with 0, and the restarted process would take the sockets back.
     */
    public enum AfterHandover {
        /** Exit 0, as a process started by hand or by systemd should. */
        EXIT,
        /** Idle, serving nothing, until SIGTERM; then exit 0 at once. */
        WAIT;

        /** The flag's spelling. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** @throws IllegalArgumentException naming the text and the labels */
        public static AfterHandover parse(String text) {
            return ProxyConfig.byLabel("after-handover mode", text, values());
        }
    }

    public OperationsConfig {
        Objects.requireNonNull(syncPeriod, "syncPeriod");
        Objects.requireNonNull(afterHandover, "afterHandover");
        if (syncPeriod.isNegative() || syncPeriod.isZero()) {
            throw new IllegalArgumentException("--sync-period: must be positive, got " + syncPeriod);
        }
        if (shutdownGracePeriod.isNegative()) {
            throw new IllegalArgumentException("--shutdown-grace-period: must not be negative, got " + shutdownGracePeriod);
        }
        if (metricsMaxServices < 0) {
            throw new IllegalArgumentException("--metrics-max-services: must not be negative, got " + metricsMaxServices);
        }
    }

    /** kube-proxy's health limit: twice the sync period. */
    public Duration healthLimit() {
        return syncPeriod.multipliedBy(2);
    }

    /**
     * Parses {@code host:port} or {@code [v6]:port} with an IP literal (never DNS); empty text means "not
     * served" (null).
     *
     * @throws IllegalArgumentException starting with {@code setting}
     */
    public static InetSocketAddress bindAddress(String setting, String text) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        int colon = text.lastIndexOf(':');
        String host = colon < 0 ? "" : text.substring(0, colon);
        String port = colon < 0 ? "" : text.substring(colon + 1);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            host = "";
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            p = -1;
        }
        if (host.isEmpty() || p < 0 || p > 65535 || !isIpLiteral(host)) {
            throw new IllegalArgumentException(setting + ": \"" + text
                    + "\" is not an IP:port address (e.g. 0.0.0.0:10256 or [::]:10256)");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), p);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(setting + ": \"" + text + "\": " + e.getMessage());
        }
    }

    /** True for IPv4 dotted quads and IPv6 literals: getByName must never resolve a name here. */
    static boolean isIpLiteral(String host) {
        return host.matches("\\d{1,3}(\\.\\d{1,3}){3}") || (host.contains(":") && host.matches("[0-9A-Fa-f:.%]+"));
    }
}
