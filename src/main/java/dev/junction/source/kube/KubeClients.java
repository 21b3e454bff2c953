package dev.junction.source.kube;

import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.ClientBuilder;
import io.kubernetes.client.util.Config;
import io.kubernetes.client.util.KubeConfig;
import java.io.File;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the API client configuration as kubectl does: an explicit kubeconfig, else the first existing
 * file of {@code KUBECONFIG}, else {@code ~/.kube/config}, else the pod's service account (in-cluster);
 * {@code master} overrides the server of whichever is used, and alone gives an unauthenticated client.
 * A token file (the kubeconfig's {@code tokenFile}, relative to the kubeconfig as in client-go, or the service
 * account's {@code token}) is sent by {@link TokenFileAuth}: trimmed, and re-read as the kubelet rotates it.
 * Stateless.
 */
public final class KubeClients {

    private static final Logger log = LoggerFactory.getLogger(KubeClients.class);

    /** A client and a short description of where its configuration came from, for the log. */
    public record Connection(ApiClient client, String description) {
    }

    private KubeClients() {
    }

    /**
     * @param kubeconfig explicit kubeconfig file, or null to discover
     * @param master     server URL overriding the configuration's, or null
     * @param env        the environment (KUBECONFIG, KUBERNETES_SERVICE_HOST)
     * @param home       the user's home directory
     * @throws IllegalArgumentException with one line naming the problem when no usable configuration exists
     */
    public static Connection connect(Path kubeconfig, String master, Map<String, String> env, Path home) {
        return connect(kubeconfig, master, env, home, Path.of(Config.SERVICEACCOUNT_ROOT));
    }

    /** As above, with the pod's service account (token, ca.crt) read from {@code serviceAccount}. */
    static Connection connect(Path kubeconfig, String master, Map<String, String> env, Path home,
            Path serviceAccount) {
        Connection found = find(kubeconfig, env, home, serviceAccount);
        if (found == null) {
            if (master == null) {
                throw new IllegalArgumentException("no Kubernetes API configuration found: give --manifests DIR, "
                        + "--kubeconfig FILE or --master URL, set KUBECONFIG, create ~/.kube/config, or run in a pod");
            }
            return new Connection(new ApiClient().setBasePath(master), "--master " + master + " without credentials");
        }
        if (master != null) {
            found.client().setBasePath(master);
            return new Connection(found.client(), found.description() + ", server overridden by --master " + master);
        }
        if (found.description().startsWith("in-cluster")) {
            log.warn("in-cluster configuration reaches the API server through the kubernetes Service ClusterIP ({}),"
                    + " which works only while another proxy serves it; give --master with the API server's address",
                    found.client().getBasePath());
        }
        return found;
    }

    private static Connection find(Path kubeconfig, Map<String, String> env, Path home, Path serviceAccount) {
        if (kubeconfig != null) {
            if (!Files.isReadable(kubeconfig) || Files.isDirectory(kubeconfig)) {
                throw new IllegalArgumentException("--kubeconfig: " + kubeconfig + " is not a readable file");
            }
            return load(kubeconfig, "--kubeconfig " + kubeconfig);
        }
        String list = env.get(Config.ENV_KUBECONFIG);
        if (list != null && !list.isBlank()) {
            for (String entry : list.split(File.pathSeparator)) {
                if (!entry.isBlank() && Files.isReadable(Path.of(entry))) {
                    return load(Path.of(entry), "KUBECONFIG " + entry);
                }
            }
        }
        Path standard = home.resolve(".kube").resolve("config");
        if (Files.isReadable(standard)) {
            return load(standard, standard.toString());
        }
        if (env.get(Config.ENV_SERVICE_HOST) != null && Files.isReadable(serviceAccount.resolve("token"))) {
            return inCluster(env, serviceAccount);
        }
        return null;
    }

    /**
     * The pod's service account, as client-go's InClusterConfig: the API server at KUBERNETES_SERVICE_HOST and
     * _PORT, verified with the account's CA, authenticated with its token file, which the kubelet rewrites.
     */
    private static Connection inCluster(Map<String, String> env, Path account) {
        String host = env.get(Config.ENV_SERVICE_HOST);
        String port = env.getOrDefault(Config.ENV_SERVICE_PORT, "443");
        try {
            ApiClient client = new ClientBuilder()
                    .setBasePath("https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port)
                    .setCertificateAuthority(Files.readAllBytes(account.resolve("ca.crt")))
                    .setAuthentication(c -> authenticateWith(c, account.resolve("token")))
                    .build();
            return new Connection(client, "in-cluster service account");
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("in-cluster configuration: " + e.getMessage(), e);
        }
    }

    private static Connection load(Path file, String description) {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            KubeConfig config = KubeConfig.loadKubeConfig(reader);
            config.setFile(file.toFile());
            // Taken out before client-java reads it once, untrimmed, for good; sent by TokenFileAuth instead.
            String tokenFile = takeTokenFile(config);
            ApiClient client = ClientBuilder.kubeconfig(config).build();
            if (tokenFile != null) {
                // As client-go's clientcmd: relative to the kubeconfig, and preferred to a token beside it.
                Path dir = file.toAbsolutePath().getParent();
                authenticateWith(client, dir.resolve(tokenFile));
            }
            return new Connection(client, "kubeconfig from " + description);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(description + ": cannot use it as a kubeconfig: " + e, e);
        }
    }

    /** Removes {@code tokenFile} from the current context's user and returns it, or null when it has none. */
    @SuppressWarnings("unchecked")
    private static String takeTokenFile(KubeConfig config) {
        Object userName = null;
        for (Object context : config.getContexts()) {
            if (context instanceof Map<?, ?> entry && Objects.equals(entry.get("name"), config.getCurrentContext())
                    && entry.get("context") instanceof Map<?, ?> fields) {
                userName = fields.get("user");
            }
        }
        if (userName == null || config.getUsers() == null) {
            return null;
        }
        for (Object user : config.getUsers()) {
            if (user instanceof Map<?, ?> entry && userName.equals(entry.get("name"))
                    && entry.get("user") instanceof Map<?, ?> fields) {
                Object tokenFile = ((Map<String, Object>) fields).remove("tokenFile");
                return tokenFile == null ? null : tokenFile.toString();
            }
        }
        return null;
    }

    private static void authenticateWith(ApiClient client, Path tokenFile) {
        client.setApiKey(null);
        client.setHttpClient(client.getHttpClient().newBuilder()
                .addInterceptor(new TokenFileAuth(tokenFile, Clock.systemUTC())).build());
    }
}
