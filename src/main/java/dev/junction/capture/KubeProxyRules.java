package dev.junction.capture;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Looks for kube-proxy's own rules (iptables chain {@code KUBE-SERVICES}, nftables table
 * {@code kube-proxy}): they DNAT Service traffic in PREROUTING/OUTPUT, before it could reach a local
 * route, so Junction would never see it. Checks only with the tools that are installed; silent otherwise.
 */
final class KubeProxyRules {

    private static final Logger log = LoggerFactory.getLogger(KubeProxyRules.class);

    private KubeProxyRules() {
    }

    /** Logs one warning naming what was found, if anything. */
    static void warnIfPresent() {
        String found = find();
        if (found != null) {
            log.warn("kube-proxy's rules are present ({}): they intercept Service traffic before Junction's local "
                    + "routes. Stop kube-proxy and run `kube-proxy --cleanup` on this node.", found);
        }
    }

    private static String find() {
        for (String tool : List.of("iptables-save", "ip6tables-save")) {
            String rules = output(tool);
            if (rules != null && mentionsKubeServices(rules)) {
                return tool + " shows chain KUBE-SERVICES";
            }
        }
        String tables = output("nft", "list", "tables");
        if (tables != null && hasKubeProxyTable(tables)) {
            return "nft shows table kube-proxy";
        }
        return null;
    }

    static boolean mentionsKubeServices(String iptablesSave) {
        return iptablesSave.lines().anyMatch(l -> l.startsWith(":KUBE-SERVICES ") || l.contains(" -j KUBE-SERVICES"));
    }

    static boolean hasKubeProxyTable(String nftTables) {
        return nftTables.lines().map(String::trim)
                .anyMatch(l -> l.equals("table ip kube-proxy") || l.equals("table ip6 kube-proxy"));
    }

    /** The tool's stdout, or null when it is not installed or fails. */
    private static String output(String... command) {
        if (!onPath(command[0])) {
            return null;
        }
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out;
            try (InputStream in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "/usr/sbin:/usr/bin:/sbin:/bin" : path).split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}
