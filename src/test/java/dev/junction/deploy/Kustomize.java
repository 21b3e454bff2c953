package dev.junction.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Renders a kustomization with {@code kubectl kustomize}, when kubectl is on the PATH. */
final class Kustomize {

    static final Path BASE = Path.of("deploy");
    private static final Path OVERLAYS = Path.of("target");

    private Kustomize() {
    }

    static Optional<Path> kubectl() {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(":")).filter(d -> !d.isEmpty())
                .map(d -> Path.of(d, "kubectl")).filter(Files::isExecutable).findFirst();
    }

    /**
     * Renders an overlay of the base with the given kustomization body (the {@code resources:} line that names
     * the base is added). The overlay lives under target/.
     */
    static String renderOverlay(String body) throws IOException, InterruptedException {
        Path overlay = Files.createTempDirectory(Files.createDirectories(OVERLAYS), "overlay");
        try {
            Files.writeString(overlay.resolve("kustomization.yaml"), "resources: [" + fromOverlay(BASE) + "]\n" + body);
            return render(overlay);
        } finally {
            Files.delete(overlay.resolve("kustomization.yaml"));
            Files.delete(overlay);
        }
    }

    /** How an overlay made by {@link #renderOverlay} names {@code path}: kustomize takes only relative paths. */
    static Path fromOverlay(Path path) {
        return OVERLAYS.resolve("overlay").toAbsolutePath().relativize(path.toAbsolutePath());
    }

    static String render(Path dir) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(kubectl().orElseThrow().toString(), "kustomize", dir.toString()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError("kubectl kustomize " + dir + " failed: " + err);
        }
        return out;
    }
}
