package dev.junction.observe;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Properties;

/**
 * What this build is, for {@code kubernetes_build_info}: Junction's version and build date, written into
 * {@code dev/junction/build.properties} by Maven's resource filtering, and the JVM it runs on. Immutable.
 */
public record BuildInfo(String version, String buildDate) {

    private static final String RESOURCE = "/dev/junction/build.properties";

    /** This build's; a classpath without the filtered resource (a broken build) says "unknown". */
    public static BuildInfo current() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE)) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
        return new BuildInfo(p.getProperty("version", "unknown"), p.getProperty("buildDate", ""));
    }

    /** The number before the first dot, as kube-proxy's {@code major} ("1" of v1.31.2). */
    public String major() {
        return part(0);
    }

    /** The number after the first dot, as kube-proxy's {@code minor} ("31" of v1.31.2). */
    public String minor() {
        return part(1);
    }

    private String part(int index) {
        String[] parts = version.split("[.-]");
        return parts.length > index ? parts[index] : "";
    }

    /** Where kube-proxy reports its Go version: the JVM's, e.g. {@code java21.0.5+11-LTS}. */
    static String runtimeVersion() {
        return "java" + Runtime.version();
    }

    /** Go's GOOS/GOARCH pair, e.g. {@code linux/amd64}, from the JVM's names for them. */
    static String platform() {
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        String goArch = switch (arch) {
            case "x86_64" -> "amd64";
            case "aarch64" -> "arm64";
            default -> arch;
        };
        return System.getProperty("os.name").toLowerCase(Locale.ROOT) + "/" + goArch;
    }
}
