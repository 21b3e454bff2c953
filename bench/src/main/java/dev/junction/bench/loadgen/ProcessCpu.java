package dev.junction.bench.loadgen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * CPU time of another process and its direct children (all their threads: for a JVM that includes JIT
 * and GC; for nginx, the master's workers) from {@code /proc/PID/stat}, in cores over a window. Clock
 * ticks are 100 per second, as on every Linux build this runs on (USER_HZ).
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

    private long ticks() {
        if (pid <= 0) {
            return 0;
        }
        long total = 0;
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                String[] f = stat(p);
                // f[1] is the parent pid (field 4 of stat).
                if (f != null && (name.equals(Integer.toString(pid)) || f[1].equals(Integer.toString(pid)))) {
                    total += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read CPU time of process " + pid, e);
        }
        return total;
    }

    /** Fields after the command name, which may hold spaces; null when the process has gone. */
    private static String[] stat(Path proc) {
        try {
            String stat = Files.readString(proc.resolve("stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        } catch (IOException gone) {
            return null;
        }
    }
}
