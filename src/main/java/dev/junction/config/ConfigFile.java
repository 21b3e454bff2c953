package dev.junction.config;

import dev.junction.model.Cidr;
import dev.junction.model.LbPolicy;
import java.io.IOException;
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
 * {@link #applyTo} then sets them on a builder. An unknown field or a bad value fails with the file and the
 * field's path ({@code conntrack.udpTimeout: ...}). Not modified once loaded.
 */
final class ConfigFile {

    static final String API_VERSION = "kubeproxy.config.k8s.io/v1alpha1";
    static final String KIND = "KubeProxyConfiguration";

    private final Path path;
    private final List<Consumer<ProxyConfig.Builder>> settings = new ArrayList<>();

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
                "hostnameOverride", "nodePortAddresses", "clusterCIDR", "detectLocalMode", "conntrack",
                "clientConnection", "junction"));
        if (m.containsKey("bindAddress")) {
            // Accepted so kube-proxy files load; kube-proxy derives the node IP from it, Junction needs none.
            String ip = string("bindAddress", m.get("bindAddress"));
            if (!ip.isEmpty() && !ip.matches("[0-9A-Fa-f:.]+")) {
                throw bad("bindAddress", "\"" + ip + "\" is not an IP address");
            }
        }
        address("healthzBindAddress", m, ProxyConfig.Builder::healthzBindAddress);
        address("metricsBindAddress", m, ProxyConfig.Builder::metricsBindAddress);
        if (m.containsKey("hostnameOverride")) {
            String name = string("hostnameOverride", m.get("hostnameOverride"));
            if (!name.isBlank()) {
                set(b -> b.nodeName(name));
            }
        }
        if (m.containsKey("nodePortAddresses")) {
            List<Cidr> cidrs = new ArrayList<>();
            Object v = m.get("nodePortAddresses");
            if (!(v instanceof List<?> list)) {
                throw bad("nodePortAddresses", "expected a list of CIDRs");
            }
            for (int i = 0; i < list.size(); i++) {
                String at = "nodePortAddresses[" + i + "]";
                try {
                    cidrs.add(Cidr.parse(string(at, list.get(i))));
                } catch (IllegalArgumentException e) {
                    throw bad(at, e.getMessage());
                }
            }
            set(b -> b.nodePortAddresses(cidrs));
        }
        if (m.containsKey("clusterCIDR")) {
            List<Cidr> cidrs = clusterCidrs(string("clusterCIDR", m.get("clusterCIDR")));
            set(b -> b.clusterCidrs(cidrs));
        }
        if (m.containsKey("detectLocalMode")) {
            String text = string("detectLocalMode", m.get("detectLocalMode"));
            // kube-proxy reads "" as its default, which the builder works out.
            if (!text.isEmpty()) {
                ProxyConfig.DetectLocalMode mode;
                try {
                    mode = ProxyConfig.DetectLocalMode.parse(text);
                } catch (IllegalArgumentException e) {
                    throw bad("detectLocalMode", e.getMessage());
                }
                set(b -> b.detectLocalMode(mode));
            }
        }
        if (m.containsKey("clientConnection")) {
            Map<String, Object> client = map(this, "clientConnection", m.get("clientConnection"));
            known("clientConnection.", client, Set.of("kubeconfig"));
            if (client.containsKey("kubeconfig")) {
                String kubeconfig = string("clientConnection.kubeconfig", client.get("kubeconfig"));
                if (!kubeconfig.isBlank()) {
                    set(b -> b.kubeconfig(Path.of(kubeconfig)));
                }
            }
        }
        if (m.containsKey("conntrack")) {
            Map<String, Object> conntrack = map(this, "conntrack", m.get("conntrack"));
            known("conntrack.", conntrack, Set.of("udpTimeout"));
            duration("conntrack.udpTimeout", conntrack.get("udpTimeout"), true, ProxyConfig.Builder::udpIdleTimeout);
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
        known("junction.", j, Set.of("manifests", "capture", "keepRoutes", "workers", "transport", "lb", "connectTimeout",
                "idleTimeout", "udpMaxSessions", "syncPeriod", "shutdownGracePeriod", "metrics", "logLevel",
                "logFormat"));
        if (j.containsKey("manifests")) {
            Path dir = Path.of(string("junction.manifests", j.get("manifests")));
            set(b -> b.manifests(dir));
        }
        parsed(j, "capture", ProxyConfig.CaptureMode::parse, ProxyConfig.Builder::capture);
        bool("junction.keepRoutes", j, ProxyConfig.Builder::keepRoutes);
        integer("junction.workers", j, 1, 1024, ProxyConfig.Builder::workers);
        parsed(j, "transport", ProxyConfig.TransportMode::parse, ProxyConfig.Builder::transport);
        parsed(j, "lb", LbPolicy::parse, ProxyConfig.Builder::loadBalancing);
        duration("junction.connectTimeout", j.get("connectTimeout"), true, ProxyConfig.Builder::connectTimeout);
        duration("junction.idleTimeout", j.get("idleTimeout"), false, ProxyConfig.Builder::idleTimeout);
        integer("junction.udpMaxSessions", j, 1, Integer.MAX_VALUE, ProxyConfig.Builder::udpMaxSessions);
        duration("junction.syncPeriod", j.get("syncPeriod"), true, ProxyConfig.Builder::syncPeriod);
        duration("junction.shutdownGracePeriod", j.get("shutdownGracePeriod"), false,
                ProxyConfig.Builder::shutdownGracePeriod);
        if (j.containsKey("metrics")) {
            Map<String, Object> metrics = map(this, "junction.metrics", j.get("metrics"));
            known("junction.metrics.", metrics, Set.of("maxServices", "perEndpoint"));
            integer("junction.metrics.maxServices", metrics, 0, Integer.MAX_VALUE, ProxyConfig.Builder::metricsMaxServices);
            bool("junction.metrics.perEndpoint", metrics, ProxyConfig.Builder::metricsPerEndpoint);
        }
        parsed(j, "logLevel", LogLevel::parse, ProxyConfig.Builder::logLevel);
        parsed(j, "logFormat", LogFormat::parse, ProxyConfig.Builder::logFormat);
    }

    private void address(String field, Map<String, Object> m, BiConsumer<ProxyConfig.Builder, String> setter) {
        if (m.containsKey(field)) {
            String text = string(field, m.get(field));
            try {
                OperationsConfig.bindAddress(field, text);
            } catch (IllegalArgumentException e) {
                throw bad(field, e.getMessage().substring(field.length() + 2));
            }
            set(b -> setter.accept(b, text));
        }
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

    private void known(String prefix, Map<String, Object> m, Set<String> fields) {
        for (String k : m.keySet()) {
            if (!fields.contains(k)) {
                throw bad(prefix + k, "unknown field");
            }
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
