package dev.junction.observe;

import static dev.junction.testing.Http.sample;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The series every kube-proxy scrape has besides its own: the Prometheus process series and build info. */
class ProxyMetricsTest {

    /** kube-proxy's process_* series, from the Prometheus client (Go's process collector there). */
    @Test
    void exposesThePrometheusStandardProcessSeries() {
        try (ProxyMetrics metrics = new ProxyMetrics(0, false)) {
            metrics.bindJvm();
            String text = metrics.scrape(ProxyMetrics.TEXT);

            double openFds = sample(text, "process_open_fds");
            double maxFds = sample(text, "process_max_fds");
            assertTrue(openFds >= 3 && openFds < maxFds, () -> "open fds " + openFds + " of " + maxFds);
            assertTrue(sample(text, "process_resident_memory_bytes") > 16 * 1024 * 1024, "a JVM holds more than 16 MiB");
            assertTrue(sample(text, "process_cpu_seconds_total") > 0);
            double now = System.currentTimeMillis() / 1000.0;
            double started = sample(text, "process_start_time_seconds");
            assertTrue(started <= now && started > now - 3600, () -> "started at " + started + ", now " + now);
            // Micrometer's versions of the same, which would count each twice under other names.
            assertNull(sample(text, "process_files_open_files"));
            assertNull(sample(text, "process_uptime_seconds"));
            assertNull(sample(text, "process_cpu_time_ns_total"));
        }
    }

    /** kube-proxy's kubernetes_build_info, with Junction's version from the build and the JVM's. */
    @Test
    void buildInfoCarriesTheProjectVersion() throws IOException {
        String version = projectVersion();
        try (ProxyMetrics metrics = new ProxyMetrics(0, false)) {
            String text = metrics.scrape(ProxyMetrics.TEXT);
            String[] parts = version.split("[.-]");
            assertEquals(1.0, sample(text, "kubernetes_build_info", "git_version", "v" + version,
                    "major", parts[0], "minor", parts[1], "go_version", "java" + Runtime.version(),
                    "compiler", System.getProperty("java.vm.name")), text);
            assertTrue(Pattern.compile("kubernetes_build_info\\{.*build_date=\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\"")
                    .matcher(text).find(), text);
            assertTrue(Pattern.compile("kubernetes_build_info\\{.*platform=\"[a-z0-9 ]+/[a-z0-9_]+\"")
                    .matcher(text).find(), text);
        }
    }

    @Test
    void relistsOfAnApiServerBehindAndRefusedCredentialsAreCounted() {
        try (ProxyMetrics metrics = new ProxyMetrics(0, false)) {
            metrics.bindKubeSource(() -> 3, () -> 2);
            assertEquals(3.0, sample(metrics.scrape(ProxyMetrics.TEXT), "junction_kube_relists_server_behind_total"));
            assertEquals(2.0, sample(metrics.scrape(ProxyMetrics.TEXT), "junction_kube_credentials_refused_total"));
        }
    }

    /** The project's own version, from the pom the build filtered it from. */
    private static String projectVersion() throws IOException {
        Matcher m = Pattern.compile("<artifactId>junction</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(Files.readString(Path.of("pom.xml")));
        assertTrue(m.find(), "pom.xml names its version");
        return m.group(1);
    }
}
