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

    /**
     * The stack trace with each line printStackTrace writes kept to one line: an exception's message may
     * carry an object's name, and a line break in it would start a line of its own.
     */
    private static String escapedStackTrace(Throwable t) {
        StringWriter w = new StringWriter();
        // printStackTrace writes every line, message lines included, through println(Object).
        t.printStackTrace(new PrintWriter(w) {
            @Override
            public void println(Object line) {
                super.println(escapeControls(String.valueOf(line)));
            }

            @Override
            public void println(String line) {
                super.println(escapeControls(line));
            }
        });
        return w.toString();
    }

    /**
     * {@code text} with every character that could end or rewrite a line written as an escape: LF and CR as
     * backslash-n and backslash-r; the other C0 and C1 controls, DEL, and the Unicode line and paragraph
     * separators as backslash-u and four hex digits, as JSON writes them. Tab stays: it breaks no line, and
     * stack trace frames start with one.
     */
    static String escapeControls(String text) {
        int i = 0;
        while (i < text.length() && !mustEscape(text.charAt(i))) {
            i++;
        }
        if (i == text.length()) {
            return text;
        }
        StringBuilder b = new StringBuilder(text.length() + 16).append(text, 0, i);
        for (; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!mustEscape(c)) {
                b.append(c);
            } else if (c == '\n') {
                b.append("\\n");
            } else if (c == '\r') {
                b.append("\\r");
            } else {
                b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            }
        }
        return b.toString();
    }

    private static boolean mustEscape(char c) {
        return c != '\t' && Character.isISOControl(c) || c == '\u2028' || c == '\u2029';
    }

    /**
     * {@code 2025-01-01T00:00:00.123Z INFO  ControlPlane - message}, the stack trace on following lines. Object
     * names and values from the API server or a manifest end up in messages, so control characters in the
     * message and in the stack trace's lines are escaped: every line that starts with a time is one event.
     */
    static final class Text extends Formatter {
        @Override
        public String format(LogRecord r) {
            StringBuilder b = new StringBuilder(128).append(Instant.ofEpochMilli(r.getMillis())).append(' ')
                    .append(String.format(Locale.ROOT, "%-5s", levelName(r.getLevel()))).append(' ')
                    .append(shortName(r.getLoggerName())).append(" - ").append(escapeControls(formatMessage(r)))
                    .append(System.lineSeparator());
            if (r.getThrown() != null) {
                b.append(escapedStackTrace(r.getThrown()));
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
