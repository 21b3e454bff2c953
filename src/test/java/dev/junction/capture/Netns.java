package dev.junction.capture;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import dev.junction.testing.Requirements;

/**
 * Network namespaces for tests, through iproute2. Names carry this JVM's pid, so concurrent runs do not
 * collide, and namespaces left by a run whose JVM is gone are deleted before new ones are made. Needs
 * root: in CI (CI=true) the lack of it is a failure, elsewhere the test is skipped with the reason.
 */
final class Netns implements AutoCloseable {

    static final String PREFIX = "jnct-";

    private final String name;

    private Netns(String name) {
        this.name = name;
    }

    String name() {
        return name;
    }

    /** Creates {@code jnct-<role>-<pid>} with loopback up. */
    static Netns create(String role) {
        String name = PREFIX + role + '-' + ProcessHandle.current().pid();
        run("ip", "netns", "add", name);
        Netns ns = new Netns(name);
        ns.exec("ip", "link", "set", "lo", "up");
        return ns;
    }

    /** Fails (CI) or skips (elsewhere) unless this process can create namespaces; clears dead runs' leftovers. */
    static void requireNetns() {
        String reason = null;
        if (!System.getProperty("os.name", "").startsWith("Linux")) {
            reason = "network namespaces need Linux";
        } else if (!isRoot()) {
            reason = "network namespaces need root (running as " + System.getProperty("user.name") + ")";
        } else {
            try {
                deleteLeftovers();
                String probe = PREFIX + "probe-" + ProcessHandle.current().pid();
                run("ip", "netns", "add", probe);
                run("ip", "netns", "del", probe);
            } catch (RuntimeException e) {
                reason = "cannot create a network namespace: " + e.getMessage();
            }
        }
        Requirements.require(reason == null, reason);
    }

    private static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.substring(4).trim().split("\\s+")[1].equals("0");
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    /** Deletes namespaces of this prefix whose pid suffix names no live process. */
    private static void deleteLeftovers() {
        for (String line : run("ip", "netns", "list").split("\n")) {
            String ns = line.trim().split("\\s+")[0];
            if (!ns.startsWith(PREFIX)) {
                continue;
            }
            String pid = ns.substring(ns.lastIndexOf('-') + 1);
            boolean alive = pid.chars().allMatch(Character::isDigit) && !pid.isEmpty()
                    && ProcessHandle.of(Long.parseLong(pid)).isPresent();
            if (!alive) {
                run("ip", "netns", "del", ns);
            }
        }
    }

    /** Runs a command inside this namespace; returns stdout, throws with stderr when it fails. */
    String exec(String... command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
        full.addAll(List.of(command));
        return run(full.toArray(String[]::new));
    }

    /** The command prefix that runs {@code ip} inside this namespace. */
    List<String> ip() {
        return List.of("ip", "-n", name);
    }

    /** {@code ip route show table local} for both families, as a test compares it before and after. */
    String localTable() {
        return exec("ip", "-4", "route", "show", "table", "local") + exec("ip", "-6", "route", "show", "table", "local");
    }

    /** Routes with Junction's protocol number, both families. */
    String junctionRoutes() {
        return exec("ip", "-4", "route", "show", "table", "local", "proto", "74")
                + exec("ip", "-6", "route", "show", "table", "local", "proto", "74");
    }

    /** Starts a long-running process inside this namespace; stdout and stderr go to {@code log}. */
    Process start(Path log, List<String> command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
        full.addAll(command);
        try {
            return new ProcessBuilder(full).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String run(String... command) {
        try {
            Process p = new ProcessBuilder(command).start();
            p.getOutputStream().close();
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()), Netns::thread);
            String out = read(p.getInputStream());
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " timed out");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed (" + p.exitValue() + "): "
                        + err.join().strip());
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void thread(Runnable task) {
        Thread t = new Thread(task, "netns-stderr");
        t.setDaemon(true);
        t.start();
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        try {
            run("ip", "netns", "del", name);
        } catch (RuntimeException e) {
            // Already gone; nothing to clean.
        }
    }
}
