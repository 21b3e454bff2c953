package dev.junction.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** The WARNING lines (or those of another level) one logger writes while this is open. */
public final class Warnings extends Handler implements AutoCloseable {

    public final List<String> lines = new CopyOnWriteArrayList<>();
    private final Logger logger;
    private final Level level;

    /** Captures what {@code source}'s logger warns. */
    public Warnings(Class<?> source) {
        this(source, Level.WARNING);
    }

    /** Captures what {@code source}'s logger writes at {@code level}. */
    public Warnings(Class<?> source, Level level) {
        this.level = level;
        logger = Logger.getLogger(source.getName());
        logger.addHandler(this);
    }

    @Override
    public void publish(LogRecord record) {
        if (record.getLevel() == level) {
            lines.add(record.getMessage());
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
    }
}
