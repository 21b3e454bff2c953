package dev.junction.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Kubeconfig files as an operator writes them, for tests that run the proxy on the API source. */
public final class Kubeconfigs {

    private Kubeconfigs() {
    }

    /** Writes to {@code file} a kubeconfig whose one context talks to {@code server} with a token; returns the file. */
    public static Path write(Path file, String server) throws IOException {
        return Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters: [{name: test, cluster: {server: "%s"}}]
                users: [{name: proxy, user: {token: not-checked}}]
                contexts: [{name: test, context: {cluster: test, user: proxy}}]
                current-context: test
                """.formatted(server));
    }
}
