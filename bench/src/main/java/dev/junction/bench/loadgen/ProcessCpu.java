package dev.junction.bench.loadgen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time of another process (all its threads: for a JVM that includes JIT and GC) from
 * {@code /proc/PID/stat}, in cores over a window. Clock ticks are 100 per second, as on every Linux
 * build this runs on (USER_HZ).
 */
final class ProcessCpu {

    private static final double TICKS_PER_SECOND = 100;

    private final int pid;
    private long startTicks;
    private long startNanos;

    ProcessCpu(int pid) {
        this.pid = pid;
    }

    void start() {
        startTicks = ticks();
        startNanos = System.nanoTime();
    }

    double coresSinceStart() {
        if (pid <= 0) {
            return Double.NaN;
        }
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        return (ticks() - startTicks) / TICKS_PER_SECOND / seconds;
    }

    /** utime + stime; the command name (field 2) may hold spaces, so fields are counted after its ')'. */
    private long ticks() {
        if (pid <= 0) {
            return 0;
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read CPU time of process " + pid, e);
        }
    }
}
