package dev.junction.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** GETs against the admin and health servers, and a reader for the Prometheus text format. */
public final class Http {

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})? (\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    private Http() {
    }

    public static HttpResponse<String> get(InetSocketAddress server, String path, String accept) {
        HttpRequest.Builder b = HttpRequest.newBuilder(
                URI.create("http://" + server.getHostString() + ":" + server.getPort() + path))
                .timeout(Duration.ofSeconds(10));
        if (accept != null) {
            b.header("Accept", accept);
        }
        try {
            return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static HttpResponse<String> get(InetSocketAddress server, String path) {
        return get(server, path, null);
    }

    /**
     * The value of the sample {@code name} whose labels include every one of {@code labels} (name, value,
     * ...), from a Prometheus text exposition; null when there is none. Fails if a line is not valid text format.
     */
    public static Double sample(String exposition, String name, String... labels) {
        for (String line : exposition.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            if (!m.matches()) {
                throw new AssertionError("not Prometheus text format: " + line);
            }
            if (!m.group(1).equals(name)) {
                continue;
            }
            Map<String, String> have = new HashMap<>();
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                while (l.find()) {
                    have.put(l.group(1), l.group(2));
                }
            }
            boolean all = true;
            for (int i = 0; i < labels.length; i += 2) {
                all &= labels[i + 1].equals(have.get(labels[i]));
            }
            if (all) {
                return Double.parseDouble(m.group(4));
            }
        }
        return null;
    }

    /** The {@code le} bounds of histogram {@code name}'s buckets, in exposition order, +Inf included. */
    public static List<Double> bucketBounds(String exposition, String name) {
        List<Double> bounds = new ArrayList<>();
        for (String line : exposition.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (line.startsWith("#") || !m.matches() || !m.group(1).equals(name + "_bucket")) {
                continue;
            }
            Matcher l = LABEL.matcher(m.group(3));
            while (l.find()) {
                if (l.group(1).equals("le")) {
                    bounds.add(l.group(2).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(l.group(2)));
                }
            }
        }
        return bounds;
    }

    /** How many samples {@code exposition} holds: the series a scrape adds to Prometheus. */
    public static int seriesCount(String exposition) {
        int series = 0;
        for (String line : exposition.split("\n")) {
            if (!line.isEmpty() && !line.startsWith("#")) {
                series++;
            }
        }
        return series;
    }
}
