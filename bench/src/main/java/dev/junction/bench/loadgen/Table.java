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
 * plus the proxy's CPU) into one markdown table of medians with each target's ratio to HAProxy and to
 * direct.
 */
@Command(name = "table", mixinStandardHelpOptions = true, description = "Markdown table of compare.sh medians.")
final class Table implements Callable<Integer> {

    private static final List<String> TARGETS = List.of("direct", "haproxy", "nginx", "junction", "junction-epoll");

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
        StringBuilder out = new StringBuilder();
        out.append("| workload | target | rate (median) | p99 µs | proxy CPU (cores) | rate per proxy core |"
                + " vs HAProxy | per core vs HAProxy | vs direct | rounds |\n");
        out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Map.Entry<String, Map<String, List<JsonObject>>> w : runs.entrySet()) {
            Map<String, List<JsonObject>> byTarget = w.getValue();
            String unit = w.getKey().startsWith("bulk") ? "Gbit/s" : "/s";
            double haproxyRate = median(byTarget.get("haproxy"), "rate");
            double haproxyPerCore = median(byTarget.get("haproxy"), "perCore");
            double directRate = median(byTarget.get("direct"), "rate");
            for (String target : TARGETS) {
                List<JsonObject> samples = byTarget.get(target);
                if (samples == null) {
                    continue;
                }
                double rate = median(samples, "rate");
                double cpu = median(samples, "cpu");
                double perCore = median(samples, "perCore");
                out.append(String.format(Locale.ROOT, "| %s | %s | %s %s | %.0f | %s | %s | %s | %s | %s | %d |\n",
                        w.getKey(), target, fmt(rate), unit, median(samples, "p99us"),
                        target.equals("direct") ? "-" : String.format(Locale.ROOT, "%.2f", cpu),
                        target.equals("direct") ? "-" : fmt(perCore),
                        ratio(rate, haproxyRate), target.equals("direct") ? "-" : ratio(perCore, haproxyPerCore),
                        ratio(rate, directRate), samples.size()));
            }
        }
        System.out.print(out);
        return 0;
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

    private static String ratio(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) || b == 0 ? "-" : String.format(Locale.ROOT, "%.2fx", a / b);
    }
}
