package dev.junction.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Starts Junction as a process of its own, for tests of signals and process limits. Stateless. */
public final class JunctionProcess {

    private JunctionProcess() {
    }

    /**
     * {@code junction run} on {@code manifests}, capture none, one worker, plus {@code flags}; output to {@code log}.
     * Without a {@code --handover-socket} in {@code flags} it hands nothing over: the default path is the node's,
     * shared by every Junction on the machine, other tests' included.
     */
    public static Process start(Path manifests, Path log, String... flags) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java,
                "-cp", System.getProperty("java.class.path"), "dev.junction.Main", "run",
                "--manifests", manifests.toString(), "--capture", "none", "--workers", "1"));
        if (!List.of(flags).contains("--handover-socket")) {
            command.addAll(List.of("--handover-socket", ""));
        }
        command.addAll(List.of(flags));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }
}
