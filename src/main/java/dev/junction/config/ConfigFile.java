package dev.junction.config;

import dev.junction.model.Cidr;
import dev.junction.model.LbPolicy;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * The {@code --config} file: a KubeProxyConfiguration with the fields that apply to Junction, plus a
 * {@code junction:} section for Junction's own settings. Every value is checked and typed as the file loads;
 * {@link #applyTo} then sets them on a builder. Fields are read with kube-proxy's meaning, so a kubeadm cluster's
 * file works as is; KubeProxyConfiguration fields without effect here are accepted and named in one warning, which
 * Junction logs at start. An unknown field or a bad value fails with the file and the field's path
 * ({@code conntrack.udpTimeout: ...}). Not modified once loaded.
 */
final class ConfigFile {

    static final String API_VERSION = "kubeproxy.config.k8s.io/v1alpha1";
    static final String KIND = "KubeProxyConfiguration";

    private final Path path;
    private final List<Consumer<ProxyConfig.Builder>> settings = new ArrayList<>();
    private final List<String> ignored = new ArrayList<>();

    /**
     * KubeProxyConfiguration's fields that mean nothing to a userspace proxy (iptables/IPVS/nftables tuning,
     * the kernel's conntrack, client rate limits, Windows) or that Junction does otherwise: accepted so a
     * kubeadm cluster's file loads as is, and listed in one warning.
     */
    private static final Set<String> IGNORED = Set.of("bindAddressHardFail", "configSyncPeriod",
            "detectLocal", "enableProfiling", "featureGates", "logging", "oomScoreAdj",
            "portRange", "showHiddenMetricsForVersion", "windowsRunAsService", "winkernel");

    /** The backend sections; only the mode's {@code syncPeriod} means something here, the rest is accepted. */
    private static final Map<String, Set<String>> MODE_SECTIONS = Map.of(
            "iptables", Set.of("localhostNodePorts", "masqueradeAll", "masqueradeBit", "minSyncPeriod"),
            "ipvs", Set.of("excludeCIDRs", "minSyncPeriod", "scheduler", "strictARP", "tcpFinTimeout", "tcpTimeout",
                    "udpTimeout"),
            "nftables", Set.of("masqueradeAll", "masqueradeBit", "minSyncPeriod"));

    private ConfigFile(Path path) {
        this.path = path;
    }

    /** Sets what the file gives on {@code builder}; a setting the file lacks keeps its value there. */
    ProxyConfig.Builder applyTo(ProxyConfig.Builder builder) {
        settings.forEach(s -> s.accept(builder));
        return builder;
    }

    private void set(Consumer<ProxyConfig.Builder> setting) {
        settings.add(setting);
    }

    /** @throws IllegalArgumentException {@code --config FILE: field.path: reason} */
    static ConfigFile load(Path path) {
        String text;
        try {
            text = Files.readString(path);
        } catch (IOException e) {
            throw new IllegalArgumentException("--config: cannot read " + path + ": " + e.getMessage());
        }
        ConfigFile file = new ConfigFile(path);
        Object root;
        try {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
        } catch (YAMLException e) {
            throw new IllegalArgumentException("--config " + path + ": not valid YAML: "
                    + e.getMessage().replace('\n', ' '));
        }
        if (root != null) {
            file.top(map(file, "", root));
        }
        return file;
    }

    private void top(Map<String, Object> m) {
        Object apiVersion = m.get("apiVersion");
        if (apiVersion != null && !API_VERSION.equals(apiVersion)) {
            throw bad("apiVersion", "expected " + API_VERSION + ", got " + apiVersion);
        }
        Object kind = m.get("kind");
        if (kind != null && !KIND.equals(kind)) {
            throw bad("kind", "expected " + KIND + ", got " + kind);
        }
        known("", m, Set.of("apiVersion", "kind", "bindAddress", "healthzBindAddress", "metricsBindAddress",
                "hostnameOverride", "nodePortAddresses", "clusterCIDR", "detectLocalMode", "conntrack", "clientConnection", "mode", "iptables", "ipvs",
                "nftables", "junction"),
                IGNORED);
        InetAddress bindAddress = bindAddress(m);
        boolean v6 = bindAddress instanceof Inet6Address;
        address("healthzBindAddress", m, v6 ? "[::]" : "0.0.0.0", OperationsConfig.HEALTHZ_PORT,
                ProxyConfig.Builder::healthzBindAddress);
        address("metricsBindAddress", m, v6 ? "[::1]" : "127.0.0.1", OperationsConfig.METRICS_PORT,
                ProxyConfig.Builder::metricsBindAddress);
        String name = optionalString("hostnameOverride", m);
        if (!name.isBlank()) {
            set(b -> b.nodeName(name));
        }
        nodePortAddresses(m.get("nodePortAddresses"));
        if (m.get("clusterCIDR") != null) {
            List<Cidr> cidrs = clusterCidrs(string("clusterCIDR", m.get("clusterCIDR")));
            set(b -> b.clusterCidrs(cidrs));
        }
        String detectLocalMode = optionalString("detectLocalMode", m);
        // kube-proxy reads "" as its default, which the builder works out.
        if (!detectLocalMode.isEmpty()) {
            ProxyConfig.DetectLocalMode mode;
            try {
                mode = ProxyConfig.DetectLocalMode.parse(detectLocalMode);
            } catch (IllegalArgumentException e) {
                throw bad("detectLocalMode", e.getMessage());
            }
            set(b -> b.detectLocalMode(mode));
        }
        if (m.get("clientConnection") != null) {
            Map<String, Object> client = map(this, "clientConnection", m.get("clientConnection"));
            known("clientConnection.", client, Set.of("kubeconfig", "contentType", "qps", "burst"),
                    Set.of("acceptContentTypes"));
            String kubeconfig = optionalString("clientConnection.kubeconfig", client);
            if (!kubeconfig.isBlank()) {
                set(b -> b.kubeconfig(Path.of(kubeconfig)));
            }
            // kubeadm writes "", 0 and 0, which kube-proxy's defaulting turns into its defaults: so does Junction.
            String contentType = optionalString("clientConnection.contentType", client);
            if (!contentType.isEmpty()) {
                ProxyConfig.ContentType type;
                try {
                    type = ProxyConfig.ContentType.ofMediaType(contentType);
                } catch (IllegalArgumentException e) {
                    throw bad("clientConnection.contentType", e.getMessage());
                }
                set(b -> b.kubeApiContentType(type));
            }
            Object qps = client.get("qps");
            if (qps != null) {
                if (!(qps instanceof Number n) || n.doubleValue() < 0 || Double.isInfinite(n.doubleValue())) {
                    throw bad("clientConnection.qps", "expected a non-negative number, got " + qps);
                }
                if (n.doubleValue() > 0) {
                    set(b -> b.kubeApiQps(n.doubleValue()));
                }
            }
            Integer burst = typed("clientConnection.burst", client, Integer.class, "an integer");
            if (burst != null) {
                if (burst < 0) {
                    throw bad("clientConnection.burst", "must not be negative, got " + burst);
                }
                if (burst > 0) {
                    set(b -> b.kubeApiBurst(burst));
                }
            }
        }
        if (m.get("conntrack") != null) {
            Map<String, Object> conntrack = map(this, "conntrack", m.get("conntrack"));
            known("conntrack.", conntrack, Set.of("udpTimeout"), Set.of("maxPerCore", "min", "tcpBeLiberal",
                    "tcpCloseWaitTimeout", "tcpEstablishedTimeout", "udpStreamTimeout"));
            // kube-proxy leaves the kernel's timeout alone when this is 0 (kubeadm writes 0s): so does Junction.
            unlessZero("conntrack.udpTimeout", conntrack.get("udpTimeout"), ProxyConfig.Builder::udpIdleTimeout);
        }
        String mode = optionalString("mode", m);
        syncPeriods(m, mode);
        if (!mode.isEmpty()) {
            set(b -> b.warning("--config " + path + ": mode: \"" + mode + "\" : Junction proxies in userspace whatever "
                    + "kube-proxy's mode (the mode only picks the section whose syncPeriod is read)"));
        }
        if (!ignored.isEmpty()) {
            String list = String.join(", ", ignored.stream().sorted().toList());
            set(b -> b.warning("--config " + path + ": accepted, without effect on Junction: " + list));
        }
        if (m.containsKey("junction")) {
            junction(map(this, "junction", m.get("junction")));
        }
    }

    /** kube-proxy's {@code clusterCIDR}: empty, or one or two comma-separated prefixes of different families. */
    private List<Cidr> clusterCidrs(String text) {
        List<Cidr> cidrs = new ArrayList<>();
        try {
            if (!text.isBlank()) {
                for (String part : text.split(",", -1)) {
                    cidrs.add(Cidr.parse(part));
                }
            }
            ProxyConfig.checkClusterCidrs(cidrs);
        } catch (IllegalArgumentException e) {
            throw bad("clusterCIDR", e.getMessage());
        }
        return cidrs;
    }

    /**
     * The {@code syncPeriod} of the mode's section (iptables unless ipvs or nftables), as kube-proxy converts
     * it: twice it is the health limit, as Junction's {@code --sync-period}. The other sections, and the other
     * fields of that one, are accepted and listed.
     */
    private void syncPeriods(Map<String, Object> m, String mode) {
        String used = mode.equals("ipvs") || mode.equals("nftables") ? mode : "iptables";
        for (Map.Entry<String, Set<String>> section : MODE_SECTIONS.entrySet()) {
            String name = section.getKey();
            if (m.get(name) == null) {
                continue;
            }
            if (!name.equals(used)) {
                ignored.add(name);
                continue;
            }
            Map<String, Object> fields = map(this, name, m.get(name));
            known(name + ".", fields, Set.of("syncPeriod"), section.getValue());
            unlessZero(name + ".syncPeriod", fields.get("syncPeriod"), ProxyConfig.Builder::syncPeriod);
        }
    }

    /** A duration set only when not zero: kube-proxy's "unset" in a file kubeadm wrote ({@code 0s}). */
    private void unlessZero(String field, Object value, BiConsumer<ProxyConfig.Builder, Duration> setter) {
        duration(field, value, false, (b, d) -> {
            if (!d.isZero()) {
                setter.accept(b, d);
            }
        });
    }

    /**
     * kube-proxy's bindAddress: null when absent, empty or unspecified ({@code 0.0.0.0}, {@code ::}). Its family
     * picks the default health and metrics addresses, and a specific one is the node's primary IP, as in
     * kube-proxy.
     */
    private InetAddress bindAddress(Map<String, Object> m) {
        String ip = optionalString("bindAddress", m);
        if (ip.isEmpty()) {
            return null;
        }
        if (!OperationsConfig.isIpLiteral(ip)) {
            throw bad("bindAddress", "\"" + ip + "\" is not an IP address");
        }
        InetAddress address = literal(ip);
        set(b -> b.bindAddress(address));
        return address;
    }

    /** CIDRs, or kube-proxy's {@code primary} alone: the node's primary IPs. Null (kubeadm's default): unset. */
    private void nodePortAddresses(Object v) {
        if (v == null) {
            return;
        }
        if (!(v instanceof List<?> list)) {
            throw bad("nodePortAddresses", "expected a list of CIDRs or [" + NodePortAddresses.PRIMARY + "]");
        }
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            texts.add(string("nodePortAddresses[" + i + "]", list.get(i)));
        }
        NodePortAddresses addresses;
        try {
            addresses = NodePortAddresses.parse(texts);
        } catch (IllegalArgumentException e) {
            throw bad("nodePortAddresses", e.getMessage());
        }
        set(b -> b.nodePortAddresses(addresses));
    }

    /** A string field of {@code j} that {@code parse} turns into a value, when present. */
    private <T> void parsed(Map<String, Object> j, String key, Function<String, T> parse,
            BiConsumer<ProxyConfig.Builder, T> setter) {
        if (!j.containsKey(key)) {
            return;
        }
        String path = "junction." + key;
        String text = string(path, j.get(key));
        T value;
        try {
            value = parse.apply(text);
        } catch (IllegalArgumentException e) {
            throw bad(path, e.getMessage());
        }
        set(b -> setter.accept(b, value));
    }

    private void junction(Map<String, Object> j) {
        known("junction.", j, Set.of("manifests", "capture", "keepRoutes", "handoverSocket", "workers", "transport", "lb",
                "connectTimeout", "idleTimeout", "halfCloseTimeout", "udpMaxSessions", "syncPeriod", "shutdownGracePeriod", "afterHandover", "readyFile", "metrics",
                "logLevel", "logFormat"));
        if (j.containsKey("manifests")) {
            Path dir = Path.of(string("junction.manifests", j.get("manifests")));
            set(b -> b.manifests(dir));
        }
        parsed(j, "capture", ProxyConfig.CaptureMode::parse, ProxyConfig.Builder::capture);
        bool("junction.keepRoutes", j, ProxyConfig.Builder::keepRoutes);
        if (j.containsKey("handoverSocket")) {
            Path socket = Path.of(string("junction.handoverSocket", j.get("handoverSocket")));
            set(b -> b.handoverSocket(socket));
        }
        integer("junction.workers", j, 1, 1024, ProxyConfig.Builder::workers);
        parsed(j, "transport", ProxyConfig.TransportMode::parse, ProxyConfig.Builder::transport);
        parsed(j, "lb", LbPolicy::parse, ProxyConfig.Builder::loadBalancing);
        duration("junction.connectTimeout", j.get("connectTimeout"), true, ProxyConfig.Builder::connectTimeout);
        duration("junction.idleTimeout", j.get("idleTimeout"), false, ProxyConfig.Builder::idleTimeout);
        duration("junction.halfCloseTimeout", j.get("halfCloseTimeout"), false, ProxyConfig.Builder::halfCloseTimeout);
        integer("junction.udpMaxSessions", j, 1, Integer.MAX_VALUE, ProxyConfig.Builder::udpMaxSessions);
        duration("junction.syncPeriod", j.get("syncPeriod"), true, ProxyConfig.Builder::syncPeriod);
        duration("junction.shutdownGracePeriod", j.get("shutdownGracePeriod"), false,
                ProxyConfig.Builder::shutdownGracePeriod);
        parsed(j, "afterHandover", OperationsConfig.AfterHandover::parse, ProxyConfig.Builder::afterHandover);
        if (j.containsKey("readyFile")) {
            Path file = Path.of(string("junction.readyFile", j.get("readyFile")));
            set(b -> b.readyFile(file));
        }
        if (j.containsKey("metrics")) {
            Map<String, Object> metrics = map(this, "junction.metrics", j.get("metrics"));
            known("junction.metrics.", metrics, Set.of("maxServices", "perEndpoint"));
            integer("junction.metrics.maxServices", metrics, 0, Integer.MAX_VALUE, ProxyConfig.Builder::metricsMaxServices);
            bool("junction.metrics.perEndpoint", metrics, ProxyConfig.Builder::metricsPerEndpoint);
        }
        parsed(j, "logLevel", LogLevel::parse, ProxyConfig.Builder::logLevel);
        parsed(j, "logFormat", LogFormat::parse, ProxyConfig.Builder::logFormat);
    }

    /**
     * kube-proxy's meaning: empty is {@code defaultHost:port}, a bare IP gets {@code port} (its
     * AppendPortIfNeeded). Unlike the flag, the file cannot disable the server, as in kube-proxy.
     */
    private void address(String field, Map<String, Object> m, String defaultHost, int port,
            BiConsumer<ProxyConfig.Builder, String> setter) {
        if (!m.containsKey(field)) {
            return;
        }
        String text = optionalString(field, m);
        String hostPort;
        if (text.isEmpty()) {
            hostPort = defaultHost + ":" + port;
        } else if (!hasPort(text) && OperationsConfig.isIpLiteral(text)) {
            hostPort = (text.contains(":") ? "[" + text + "]" : text) + ":" + port;
        } else {
            hostPort = text;
        }
        try {
            OperationsConfig.bindAddress(field, hostPort);
        } catch (IllegalArgumentException e) {
            throw bad(field, "\"" + text + "\" is not an IP or IP:port address (e.g. 0.0.0.0, 0.0.0.0:" + port
                    + " or [::]:" + port + ")");
        }
        set(b -> setter.accept(b, hostPort));
    }

    /** As Go's net.SplitHostPort sees it: {@code [v6]:port}, or one colon; a bare IPv6 address has more. */
    private static boolean hasPort(String text) {
        return text.startsWith("[") || (text.contains(":") && text.indexOf(':') == text.lastIndexOf(':'));
    }

    private void duration(String field, Object value, boolean positive, BiConsumer<ProxyConfig.Builder, Duration> setter) {
        if (value == null) {
            return;
        }
        Duration d;
        try {
            d = Durations.parse(string(field, value));
        } catch (IllegalArgumentException e) {
            throw bad(field, e.getMessage());
        }
        if (positive && d.isZero()) {
            throw bad(field, "must be positive");
        }
        set(b -> setter.accept(b, d));
    }

    private void integer(String field, Map<String, Object> m, int min, int max, BiConsumer<ProxyConfig.Builder, Integer> setter) {
        Integer i = typed(field, m, Integer.class, "an integer");
        if (i == null) {
            return;
        }
        if (i < min || i > max) {
            throw bad(field, i + " is out of range " + min + "-" + max);
        }
        set(b -> setter.accept(b, i));
    }

    private void bool(String field, Map<String, Object> m, BiConsumer<ProxyConfig.Builder, Boolean> setter) {
        Boolean flag = typed(field, m, Boolean.class, "true or false");
        if (flag != null) {
            set(b -> setter.accept(b, flag));
        }
    }

    /** The value of {@code field}'s last segment in {@code m} as a {@code type}, or null when absent. */
    private <T> T typed(String field, Map<String, Object> m, Class<T> type, String expected) {
        String key = field.substring(field.lastIndexOf('.') + 1);
        if (!m.containsKey(key)) {
            return null;
        }
        Object v = m.get(key);
        if (!type.isInstance(v)) {
            throw bad(field, "expected " + expected + ", got " + describe(v));
        }
        return type.cast(v);
    }

    private String string(String field, Object v) {
        if (!(v instanceof String s)) {
            throw bad(field, "expected a string, got " + describe(v));
        }
        return s;
    }

    /**
     * Refuses a field that is neither honoured nor in {@code accepted}; the accepted ones present are noted,
     * for the one warning that lists them.
     */
    private void known(String prefix, Map<String, Object> m, Set<String> honoured, Set<String> accepted) {
        for (String k : m.keySet()) {
            if (accepted.contains(k)) {
                ignored.add(prefix + k);
            } else if (!honoured.contains(k)) {
                throw bad(prefix + k, "unknown field");
            }
        }
    }

    private void known(String prefix, Map<String, Object> m, Set<String> fields) {
        known(prefix, m, fields, Set.of());
    }

    /** A string field that may be absent or null, as kubeadm writes unset ones: then empty. */
    private String optionalString(String field, Map<String, Object> m) {
        Object v = m.get(field.substring(field.lastIndexOf('.') + 1));
        return v == null ? "" : string(field, v);
    }

    private static InetAddress literal(String ip) {
        try {
            return InetAddress.getByName(ip);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(ConfigFile file, String field, Object v) {
        if (!(v instanceof Map<?, ?> m)) {
            throw file.bad(field.isEmpty() ? "(document)" : field, "expected a mapping, got " + describe(v));
        }
        for (Object k : m.keySet()) {
            if (!(k instanceof String)) {
                throw file.bad(field.isEmpty() ? String.valueOf(k) : field + "." + k, "field names must be strings");
            }
        }
        return (Map<String, Object>) m;
    }

    private static String describe(Object v) {
        if (v == null) {
            return "nothing";
        }
        if (v instanceof Map) {
            return "a mapping";
        }
        if (v instanceof List) {
            return "a list";
        }
        return "\"" + v + "\"";
    }

    private IllegalArgumentException bad(String field, String reason) {
        return new IllegalArgumentException("--config " + path + ": " + field + ": " + reason);
    }
}
