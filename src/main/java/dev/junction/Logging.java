package dev.junction;

import dev.junction.config.LogFormat;
import dev.junction.config.LogLevel;
import dev.junction.observe.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.Locale;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Configures logging (slf4j over java.util.logging): one line per event on standard error, as text or as
 * JSON lines for log shippers, at the level chosen by {@code --log-level}. Libraries stay at info unless
 * debug is asked for.
 */
public final class Logging {

    /**
     * Keeps log handlers through shutdown: the JDK's own LogManager resets (silences) every logger in a
     * shutdown hook that races with ours, which would swallow the shutdown's log lines. Installed by
     * {@link #install} before anything touches java.util.logging.
     */
    public static final class Manager extends LogManager {
        @Override
        public void reset() {
            // Handlers are set up once by configure(); nothing resets them.
        }
    }

    /** Must run first in {@code main}, before any logger exists. */
    static void install() {
        System.setProperty("java.util.logging.manager", Manager.class.getName());
    }

    private static final String[] LIBRARIES = {"io.netty", "okhttp3", "io.kubernetes", "io.micrometer"};

    private Logging() {
    }

    static void configure(LogLevel level, LogFormat format) {
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        Handler out = new ConsoleHandler();
        out.setLevel(Level.ALL);
        out.setFormatter(format == LogFormat.JSON ? new JsonLines() : new Text());
        root.addHandler(out);
        Level jul = switch (level) {
            case ERROR -> Level.SEVERE;
            case WARN -> Level.WARNING;
            case INFO -> Level.INFO;
            case DEBUG -> Level.FINE;
        };
        root.setLevel(jul);
        Level libraries = level == LogLevel.DEBUG ? Level.INFO : jul;
        for (String lib : LIBRARIES) {
            Logger.getLogger(lib).setLevel(libraries);
        }
    }

    static String levelName(Level level) {
        if (level.intValue() >= Level.SEVERE.intValue()) {
            return "ERROR";
        }
        if (level.intValue() >= Level.WARNING.intValue()) {
            return "WARN";
        }
        if (level.intValue() >= Level.INFO.intValue()) {
            return "INFO";
        }
        return level.intValue() >= Level.FINE.intValue() ? "DEBUG" : "TRACE";
    }

    private static String shortName(String logger) {
        return logger == null ? "" : logger.substring(logger.lastIndexOf('.') + 1);
    }

    private static String stackTrace(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return w.toString();
    }

    /** {@code 2025-01-01T00:00:00.123Z INFO  ControlPlane - message}, the stack trace on following lines. */
    static final class Text extends Formatter {
        @Override
        public String format(LogRecord r) {
            StringBuilder b = new StringBuilder(128).append(Instant.ofEpochMilli(r.getMillis())).append(' ')
                    .append(String.format(Locale.ROOT, "%-5s", levelName(r.getLevel()))).append(' ')
                    .append(shortName(r.getLoggerName())).append(" - ").append(formatMessage(r))
                    .append(System.lineSeparator());
            if (r.getThrown() != null) {
                b.append(stackTrace(r.getThrown()));
            }
            return b.toString();
        }
    }

    /** One JSON object per line: time, level, logger, message, and the error (its stack trace) if any. */
    static final class JsonLines extends Formatter {
        @Override
        public String format(LogRecord r) {
            Json line = new Json().object()
                    .field("time", Instant.ofEpochMilli(r.getMillis()).toString())
                    .field("level", levelName(r.getLevel()))
                    .field("logger", r.getLoggerName() == null ? "" : r.getLoggerName())
                    .field("msg", formatMessage(r));
            if (r.getThrown() != null) {
                line.field("error", stackTrace(r.getThrown()));
            }
            return line.end() + System.lineSeparator();
        }
    }
}
