package dev.herd.os;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Lowers the CPU priority of a whole process. Per-thread nice ({@code setpriority}) changes one thread of a
 * JVM's twenty, and with autogroups enabled it only competes inside the process's own session anyway; the
 * session's autogroup nice value ({@code /proc/PID/autogroup}) is what moves a worker against the others,
 * since every worker is a session leader (docs/native-notes.md: 5 vs 295 ticks on one core).
 */
public final class Scheduling {
    private static final Path AUTOGROUP_SWITCH = Path.of("/proc/sys/kernel/sched_autogroup_enabled");
    /** The lowest priority an autogroup can have. */
    public static final int LOWEST = 19;

    private Scheduling() {
    }

    /** Whether the kernel schedules sessions as autogroups, so that {@link #deprioritise} has an effect. */
    public static boolean autogroupsEnabled() {
        try {
            return Files.readString(AUTOGROUP_SWITCH).trim().equals("1");
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Sets the autogroup nice value of {@code pid}'s session (0 normal .. {@link #LOWEST}).
     *
     * @throws IOException naming the file when the kernel has no autogroups or refuses the write
     */
    public static void deprioritise(int pid, int nice) throws IOException {
        if (nice < 0 || nice > LOWEST) {
            throw new IllegalArgumentException("autogroup nice must be 0.." + LOWEST + ", got " + nice);
        }
        Path file = Path.of("/proc", Integer.toString(pid), "autogroup");
        if (!autogroupsEnabled()) {
            throw new IOException("autogroups are disabled (" + AUTOGROUP_SWITCH
                    + " is not 1), so retired workers keep their CPU share; enable them with sysctl kernel.sched_autogroup_enabled=1");
        }
        try {
            Files.writeString(file, Integer.toString(nice));
        } catch (IOException e) {
            throw new IOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
