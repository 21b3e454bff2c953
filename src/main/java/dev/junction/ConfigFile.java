package dev.junction;

import dev.junction.config.Durations;
import dev.junction.config.OperationsConfig;
import dev.junction.model.Cidr;
import dev.junction.model.LbPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * The {@code --config} file: a KubeProxyConfiguration with the fields that apply to Junction, plus a
 * {@code junction:} section for Junction's own settings. Every value is checked here and stored under the
 * flag it stands for, so flags given on the command line override it one by one. An unknown field or a bad
 * value fails with the file and the field's path ({@code conntrack.udpTimeout: ...}).
 */
final class ConfigFile {

    static final String API_VERSION = "kubeproxy.config.k8s.io/v1alpha1";
    static final String KIND = "KubeProxyConfiguration";

    private final Path path;
    private final Map<String, Object> byFlag = new HashMap<>();

    private ConfigFile(Path path) {
        this.path = path;
    }

    /** The value for {@code flag} ({@code "--lb"}), typed as the flag is, or null when the file has none. */
    Object get(String flag) {
        return byFlag.get(flag);
    }

    Path path() {
        return path;
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
                "hostnameOverride", "nodePortAddresses", "conntrack", "clientConnection", "junction"));
        if (m.containsKey("bindAddress")) {
            // Accepted so kube-proxy files load; kube-proxy derives the node IP from it, Junction needs none.
            String ip = string("bindAddress", m.get("bindAddress"));
            if (!ip.isEmpty() && !ip.matches("[0-9A-Fa-f:.]+")) {
                throw bad("bindAddress", "\"" + ip + "\" is not an IP address");
            }
        }
        address("healthzBindAddress", m, "--healthz-bind-address");
        address("metricsBindAddress", m, "--metrics-bind-address");
        if (m.containsKey("hostnameOverride")) {
            String name = string("hostnameOverride", m.get("hostnameOverride"));
            if (!name.isBlank()) {
                byFlag.put("--hostname-override", name);
            }
        }
        if (m.containsKey("nodePortAddresses")) {
            List<String> cidrs = new ArrayList<>();
            Object v = m.get("nodePortAddresses");
            if (!(v instanceof List<?> list)) {
                throw bad("nodePortAddresses", "expected a list of CIDRs");
            }
            for (int i = 0; i < list.size(); i++) {
                String at = "nodePortAddresses[" + i + "]";
                try {
                    cidrs.add(Cidr.parse(string(at, list.get(i))).toString());
                } catch (IllegalArgumentException e) {
                    throw bad(at, e.getMessage());
                }
            }
            byFlag.put("--nodeport-addresses", cidrs);
        }
        if (m.containsKey("clientConnection")) {
            Map<String, Object> client = map(this, "clientConnection", m.get("clientConnection"));
            known("clientConnection.", client, Set.of("kubeconfig"));
            if (client.containsKey("kubeconfig")) {
                String kubeconfig = string("clientConnection.kubeconfig", client.get("kubeconfig"));
                if (!kubeconfig.isBlank()) {
                    byFlag.put("--kubeconfig", Path.of(kubeconfig));
                }
            }
        }
        if (m.containsKey("conntrack")) {
            Map<String, Object> conntrack = map(this, "conntrack", m.get("conntrack"));
            known("conntrack.", conntrack, Set.of("udpTimeout"));
            duration("conntrack.udpTimeout", conntrack.get("udpTimeout"), "--udp-idle-timeout", true);
        }
        if (m.containsKey("junction")) {
            junction(map(this, "junction", m.get("junction")));
        }
    }

    /** A field of {@code j} naming an enum constant by its flag spelling, when present. */
    private void label(Map<String, Object> j, String key, String flag, Main.LabelConverter<?> converter) {
        if (!j.containsKey(key)) {
            return;
        }
        String path = "junction." + key;
        String text = string(path, j.get(key));
        try {
            byFlag.put(flag, converter.convert(text));
        } catch (RuntimeException e) {
            throw bad(path, e.getMessage());
        }
    }

    private void junction(Map<String, Object> j) {
        known("junction.", j, Set.of("manifests", "capture", "keepRoutes", "workers", "transport", "lb", "connectTimeout",
                "idleTimeout", "udpMaxSessions", "syncPeriod", "shutdownGracePeriod", "metrics", "logLevel",
                "logFormat"));
        if (j.containsKey("manifests")) {
            byFlag.put("--manifests", Path.of(string("junction.manifests", j.get("manifests"))));
        }
        label(j, "capture", "--capture", new Main.CaptureConverter());
        bool("junction.keepRoutes", j, "--keep-routes");
        integer("junction.workers", j, "--workers", 1, 1024);
        label(j, "transport", "--transport", new Main.TransportConverter());
        if (j.containsKey("lb")) {
            try {
                byFlag.put("--lb", LbPolicy.parse(string("junction.lb", j.get("lb"))));
            } catch (IllegalArgumentException e) {
                throw bad("junction.lb", e.getMessage());
            }
        }
        duration("junction.connectTimeout", j.get("connectTimeout"), "--connect-timeout", true);
        duration("junction.idleTimeout", j.get("idleTimeout"), "--idle-timeout", false);
        integer("junction.udpMaxSessions", j, "--udp-max-sessions", 1, Integer.MAX_VALUE);
        duration("junction.syncPeriod", j.get("syncPeriod"), "--sync-period", true);
        duration("junction.shutdownGracePeriod", j.get("shutdownGracePeriod"), "--shutdown-grace-period", false);
        if (j.containsKey("metrics")) {
            Map<String, Object> metrics = map(this, "junction.metrics", j.get("metrics"));
            known("junction.metrics.", metrics, Set.of("maxServices", "perEndpoint"));
            integer("junction.metrics.maxServices", metrics, "--metrics-max-services", 0, Integer.MAX_VALUE);
            bool("junction.metrics.perEndpoint", metrics, "--metrics-per-endpoint");
        }
        if (j.containsKey("logLevel")) {
            try {
                byFlag.put("--log-level", Logging.LogLevel.parse(string("junction.logLevel", j.get("logLevel"))));
            } catch (IllegalArgumentException e) {
                throw bad("junction.logLevel", e.getMessage());
            }
        }
        if (j.containsKey("logFormat")) {
            try {
                byFlag.put("--log-format", Logging.LogFormat.parse(string("junction.logFormat", j.get("logFormat"))));
            } catch (IllegalArgumentException e) {
                throw bad("junction.logFormat", e.getMessage());
            }
        }
    }

    private void address(String field, Map<String, Object> m, String flag) {
        if (m.containsKey(field)) {
            String text = string(field, m.get(field));
            try {
                OperationsConfig.bindAddress(field, text);
            } catch (IllegalArgumentException e) {
                throw bad(field, e.getMessage().substring(field.length() + 2));
            }
            byFlag.put(flag, text);
        }
    }

    private void duration(String field, Object value, String flag, boolean positive) {
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
        byFlag.put(flag, d);
    }

    private void integer(String field, Map<String, Object> m, String flag, int min, int max) {
        String key = field.substring(field.lastIndexOf('.') + 1);
        if (!m.containsKey(key)) {
            return;
        }
        Object v = m.get(key);
        if (!(v instanceof Integer i)) {
            throw bad(field, "expected an integer, got " + describe(v));
        }
        if (i < min || i > max) {
            throw bad(field, i + " is out of range " + min + "-" + max);
        }
        byFlag.put(flag, i);
    }

    private void bool(String field, Map<String, Object> m, String flag) {
        String key = field.substring(field.lastIndexOf('.') + 1);
        if (!m.containsKey(key)) {
            return;
        }
        Object v = m.get(key);
        if (!(v instanceof Boolean b)) {
            throw bad(field, "expected true or false, got " + describe(v));
        }
        byFlag.put(flag, b);
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
