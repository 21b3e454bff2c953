package dev.junction.bench.loadgen;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * Turns a directory of compare.sh results ({@code <round>-<target>-<workload>.json}, each a loadgen result
 * plus the proxy's CPU) into one markdown table of medians, headed by the rate per proxy core, with each
 * target's ratio to the peer (HAProxy, or nginx where HAProxy has no run, as for UDP) and to direct. A
 * closed-loop workload's ratios are withheld, with one line saying so, unless direct is at least
 * {@value #MIN_DIRECT_OVER_BEST}x the best proxy on it: otherwise the load side, not the proxies, set the rates.
 */
@Command(name = "table", mixinStandardHelpOptions = true, description = "Markdown table of compare.sh medians.")
final class Table implements Callable<Integer> {

    private static final List<String> TARGETS = List.of("direct", "haproxy", "nginx", "junction", "junction-epoll");
    static final double MIN_DIRECT_OVER_BEST = 1.3;
    /** Open loop at a fixed rate, or one target only: no rate to gate on. */
    private static final List<String> UNGATED = List.of("latency", "rr_first10s");

    @Parameters(index = "0", description = "results directory")
    Path dir;

    @Override
    public Integer call() throws Exception {
        // workload -> target -> samples
        Map<String, Map<String, List<JsonObject>>> runs = new TreeMap<>();
        Gson gson = new Gson();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".json"))::iterator) {
                // ROUND-TARGET-WORKLOAD.json; a target may hold a dash (junction-epoll), a workload does not.
                String name = p.getFileName().toString().replace(".json", "");
                int first = name.indexOf('-');
                int last = name.lastIndexOf('-');
                if (first < 0 || last <= first) {
                    continue;
                }
                JsonObject o = gson.fromJson(Files.readString(p), JsonObject.class);
                runs.computeIfAbsent(name.substring(last + 1), k -> new LinkedHashMap<>())
                        .computeIfAbsent(name.substring(first + 1, last), k -> new ArrayList<>()).add(o);
            }
        }
        System.out.print(render(runs));
        return 0;
    }

    static String render(Map<String, Map<String, List<JsonObject>>> runs) {
        StringBuilder out = new StringBuilder();
        List<String> notes = new ArrayList<>();
        out.append("| workload | target | rate per proxy core | per core vs peer | rate (median) | proxy CPU (cores)"
                + " | p99 µs | rate vs peer | vs direct | rounds |\n");
        out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Map.Entry<String, Map<String, List<JsonObject>>> w : runs.entrySet()) {
            String workload = w.getKey();
            Map<String, List<JsonObject>> byTarget = w.getValue();
            String unit = workload.startsWith("bulk") ? "Gbit/s" : "/s";
            String peer = byTarget.containsKey("haproxy") ? "haproxy" : "nginx";
            double peerRate = median(byTarget.get(peer), "rate");
            double peerPerCore = median(byTarget.get(peer), "perCore");
            double directRate = median(byTarget.get("direct"), "rate");
            boolean ratios = UNGATED.contains(workload) || loadSideHadRoom(workload, byTarget, directRate, notes);
            for (String target : TARGETS) {
                List<JsonObject> samples = byTarget.get(target);
                if (samples == null) {
                    continue;
                }
                boolean direct = target.equals("direct");
                double rate = median(samples, "rate");
                double perCore = median(samples, "perCore");
                out.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s %s | %s | %.0f | %s | %s | %d |\n",
                        workload, target, direct ? "-" : fmt(perCore),
                        direct || !ratios ? "-" : versus(perCore, peerPerCore, peer),
                        fmt(rate), unit,
                        direct ? "-" : String.format(Locale.ROOT, "%.2f", median(samples, "cpu")),
                        median(samples, "p99us"),
                        direct || !ratios ? "-" : versus(rate, peerRate, peer),
                        direct || !ratios ? "-" : ratio(rate, directRate), samples.size()));
            }
        }
        Map<String, List<JsonObject>> first = runs.get("rr_first10s");
        Map<String, List<JsonObject>> steady = runs.get("rr");
        if (first != null && steady != null) {
            first.forEach((target, samples) -> notes.add(String.format(Locale.ROOT,
                    "%s's first 10 s ran at %s of its steady keep-alive rate.", target,
                    ratio(median(samples, "rate"), median(steady.get(target), "rate")))));
        }
        if (!notes.isEmpty()) {
            out.append("\n");
        }
        for (String note : notes) {
            out.append("- ").append(note).append("\n");
        }
        return out.toString();
    }

    /** Whether direct beat every proxy on the workload by the margin that shows the load side had room. */
    private static boolean loadSideHadRoom(String workload, Map<String, List<JsonObject>> byTarget,
            double directRate, List<String> notes) {
        String best = null;
        double bestRate = 0;
        for (Map.Entry<String, List<JsonObject>> t : byTarget.entrySet()) {
            double rate = median(t.getValue(), "rate");
            if (!t.getKey().equals("direct") && rate > bestRate) {
                best = t.getKey();
                bestRate = rate;
            }
        }
        if (best == null) {
            return true;
        }
        if (Double.isNaN(directRate)) {
            notes.add(workload + ": no ratios, no direct run to show the load generator had room.");
            return false;
        }
        if (directRate < MIN_DIRECT_OVER_BEST * bestRate) {
            notes.add(String.format(Locale.ROOT, "%s: no ratios, direct (%s) is only %.3fx the best proxy (%s, %s),"
                    + " under %.1fx: the load generator was the bottleneck.", workload, fmt(directRate),
                    directRate / bestRate, best, fmt(bestRate), MIN_DIRECT_OVER_BEST));
            return false;
        }
        return true;
    }

    private static double median(List<JsonObject> samples, String field) {
        if (samples == null || samples.isEmpty()) {
            return Double.NaN;
        }
        double[] v = samples.stream().mapToDouble(o -> value(o, field)).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** rate: ops/s, or Gbit/s for bulk; perCore: rate divided by the proxy's CPU. */
    private static double value(JsonObject o, String field) {
        double ops = o.get("opsPerSecond").getAsDouble();
        double rate = ops > 0 ? ops : o.get("gbitPerSecond").getAsDouble();
        double cpu = o.has("proxyCpu") ? o.get("proxyCpu").getAsDouble() : Double.NaN;
        return switch (field) {
            case "rate" -> rate;
            case "cpu" -> cpu;
            case "perCore" -> cpu > 0 ? rate / cpu : Double.NaN;
            default -> o.get(field).getAsDouble();
        };
    }

    private static String fmt(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String versus(double a, double b, String peer) {
        String r = ratio(a, b);
        return r.equals("-") ? r : r + " " + peer;
    }

    private static String ratio(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) || b == 0 ? "-" : String.format(Locale.ROOT, "%.2fx", a / b);
    }
}
