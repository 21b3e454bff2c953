package dev.junction.capture;

import dev.junction.model.Addresses;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Junction's {@code local} routes in the kernel's {@code local} table, through iproute2. Every route
 * Junction installs carries routing protocol {@link #PROTO} ({@code proto 74}, 0x4a, "J"; unassigned in
 * {@code /etc/iproute2/rt_protos}), which is how it finds exactly its own routes again after a restart
 * and in {@code junction cleanup}. Changes go through one {@code ip -force -batch -} per call, so ten
 * thousand routes cost one process. Not thread-safe; one caller at a time.
 */
final class IpRoutes {

    /** The routing protocol number that marks a route as Junction's. */
    static final int PROTO = 74;
    private static final long TIMEOUT_SECONDS = 60;

    private final List<String> ip;

    /** {@code ip}: the command that runs iproute2, e.g. {@code [ip]} or {@code [ip, netns, exec, ns, ip]}. */
    IpRoutes(List<String> ip) {
        this.ip = List.copyOf(ip);
    }

    /** Addresses that have a Junction {@code local} route, IPv4 and IPv6. */
    Set<InetAddress> list() {
        Set<InetAddress> out = new LinkedHashSet<>();
        for (String family : new String[] {"-4", "-6"}) {
            String text = run(List.of(family, "route", "show", "table", "local", "proto", Integer.toString(PROTO)), null);
            for (String line : text.split("\n")) {
                String[] words = line.trim().split("\\s+");
                // "local 10.96.0.10 dev lo scope host": type, then the destination.
                if (words.length >= 2 && words[0].equals("local")) {
                    String dst = words[1];
                    int slash = dst.indexOf('/');
                    out.add(Addresses.parse(slash < 0 ? dst : dst.substring(0, slash)));
                }
            }
        }
        return out;
    }

    /**
     * Adds routes for {@code add} and removes those of {@code remove} in one batch.
     *
     * @return the error lines iproute2 printed (empty when every change applied)
     */
    List<String> apply(Collection<InetAddress> add, Collection<InetAddress> remove) {
        if (add.isEmpty() && remove.isEmpty()) {
            return List.of();
        }
        StringBuilder batch = new StringBuilder((add.size() + remove.size()) * 72);
        for (InetAddress a : remove) {
            batch.append("route del ").append(route(a)).append('\n');
        }
        for (InetAddress a : add) {
            // replace, not add: a route we installed earlier (kept across a restart) is not an error.
            batch.append("route replace ").append(route(a)).append('\n');
        }
        String errors = run(List.of("-force", "-batch", "-"), batch.toString());
        List<String> out = new ArrayList<>();
        for (String line : errors.split("\n")) {
            if (!line.isBlank()) {
                out.add(line.trim());
            }
        }
        return out;
    }

    private static String route(InetAddress a) {
        String prefix = a.getHostAddress() + (a instanceof Inet4Address ? "/32" : "/128");
        return "local " + prefix + " dev lo table local proto " + PROTO;
    }

    /**
     * Runs {@code ip args} with {@code stdin}; returns stdout for queries, stderr for batches (where a
     * failed line is reported and the rest still applied). Throws when ip cannot run at all.
     */
    private String run(List<String> args, String stdin) {
        List<String> command = new ArrayList<>(ip);
        command.addAll(args);
        Process p;
        try {
            p = new ProcessBuilder(command).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", command)
                    + " (route capture needs iproute2): " + e.getMessage(), e);
        }
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.US_ASCII));
            }
        } catch (IOException e) {
            p.destroyForcibly();
            throw new UncheckedIOException("writing to " + String.join(" ", command) + " failed", e);
        }
        try {
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish in " + TIMEOUT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", command), e);
        }
        if (stdin != null) {
            return err.join();
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + err.join().strip());
        }
        return out.join();
    }

    private static CompletableFuture<String> drain(InputStream stream) {
        // Own threads, not the common pool: with one CPU it has one thread, and stdout and stderr must drain
        // at the same time or ip blocks on the one nobody reads.
        return CompletableFuture.supplyAsync(() -> {
            try (stream) {
                ByteArrayOutputStream buf = new ByteArrayOutputStream();
                stream.transferTo(buf);
                return buf.toString(StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        }, task -> {
            Thread t = new Thread(task, "junction-ip-output");
            t.setDaemon(true);
            t.start();
        });
    }
}
