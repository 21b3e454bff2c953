package dev.junction;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.junction.config.OperationsConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code junction routes}: a running Junction's live table ({@code /debug/routes} on its metrics address) as one
 * row per frontend and endpoint, or the JSON itself with {@code -o json}. Runs on the caller's thread.
 */
@Command(name = "routes", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Show a running Junction's frontends and endpoints, read from /debug/routes on its metrics "
                + "address.")
final class RoutesCommand implements Callable<Integer> {

    /** Lower case: the constants are the values typed after -o, and completion offers them. */
    enum Output { table, json }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--server", paramLabel = "IP:PORT",
            description = "The Junction's --metrics-bind-address. Default: " + OperationsConfig.DEFAULT_METRICS + ".")
    String server = OperationsConfig.DEFAULT_METRICS;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT",
            description = "table (the default) or json (the /debug/routes document as served).")
    Output output = Output.table;

    @Override
    public Integer call() throws InterruptedException {
        URI uri = URI.create("http://" + server + "/debug/routes");
        String body;
        try {
            HttpResponse<String> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build().send(
                    HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                spec.commandLine().getErr().println("junction routes: " + uri + " answered " + r.statusCode());
                return 1;
            }
            body = r.body();
        } catch (IOException e) {
            spec.commandLine().getErr().println("junction routes: cannot read " + uri + ": " + e
                    + " (is Junction running with its metrics server there? see --server)");
            return 1;
        }
        spec.commandLine().getOut().print(output == Output.json ? body.strip() + "\n" : table(body));
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** One row per endpoint of each frontend (a frontend with none gets one row); columns padded to fit. */
    static String table(String routesJson) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"FRONTEND", "SERVICE", "POLICY", "ENDPOINT", "ACTIVE", "CONNECTIONS", "EJECTED"});
        for (JsonElement f : JsonParser.parseString(routesJson).getAsJsonObject().getAsJsonArray("frontends")) {
            JsonObject frontend = f.getAsJsonObject();
            String name = frontend.get("frontend").getAsString()
                    + (frontend.get("listening").getAsBoolean() ? "" : " (not listening)");
            String service = frontend.get("service").getAsString();
            String policy = frontend.get("policy").getAsString();
            var endpoints = frontend.getAsJsonArray("endpoints");
            if (endpoints.isEmpty()) {
                rows.add(new String[] {name, service, policy, "<none>", "", "", ""});
            }
            for (JsonElement e : endpoints) {
                JsonObject endpoint = e.getAsJsonObject();
                rows.add(new String[] {name, service, policy, endpoint.get("address").getAsString(),
                    endpoint.get("activeConnections").getAsString(), endpoint.get("connections").getAsString(),
                    endpoint.get("ejected").getAsBoolean() ? "yes" : "no"});
            }
        }
        int[] widths = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(String.format("%-" + (widths[i] + 2) + "s", row[i]));
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        return out.toString();
    }
}
