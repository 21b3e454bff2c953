package dev.junction.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Every record (INFO and above, the default) the loggers under one name prefix write while this is open,
 * with its level and whether it carried a stack trace.
 */
public final class LogRecords extends Handler implements AutoCloseable {

    public final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Logger logger;

    /** Captures what the loggers named {@code prefix} and below write, e.g. a package name. */
    public LogRecords(String prefix) {
        logger = Logger.getLogger(prefix);
        logger.addHandler(this);
    }

    /** The messages of the records that contain {@code text}. */
    public List<String> containing(String text) {
        return records.stream().map(LogRecord::getMessage).filter(m -> m != null && m.contains(text)).toList();
    }

    /** The records that carried a stack trace, as "message: throwable". */
    public List<String> withStackTrace() {
        return records.stream().filter(r -> r.getThrown() != null)
                .map(r -> r.getMessage() + ": " + r.getThrown()).toList();
    }

    @Override
    public void publish(LogRecord record) {
        records.add(record);
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
    }
}
