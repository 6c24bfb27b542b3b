package dev.herd.tests;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Issue 3, must-show 5, and SIGUSR1: retired workers lose the CPU to the new generation, and can be killed now. */
class RetirementTest {

    /** utime + stime of a process, in clock ticks (/proc/PID/stat fields 14 and 15). */
    static long cpuTicks(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    @Test
    void retiredCpuBoundWorkerGetsFarLessCpuThanTheNewOneOnOneCore() throws Exception {
        Path dir = Herd.newDir();
        // A CPU-bound worker pinned to core 0 that ignores SIGTERM: once retired it keeps burning, so the
        // scheduler alone decides how the core is shared between it and its replacement.
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "1", "--ready-when", "started",
                "--drain-timeout", "120s", "--", "taskset", "-c", "0", "/bin/sh", "-c",
                "exec 0<&-; trap '' TERM; while :; do :; done"));
        try (Herd herd = Herd.start(dir, args)) {
            herd.awaitPort();
            long old = herd.awaitReady(1, Duration.ofSeconds(20)).getFirst();
            assertThat(herd.cli("reload").code()).isZero();
            LogEvent retired = herd.awaitEvent(e -> e.is("worker.retired", "pid", Long.toString(old)),
                    Duration.ofSeconds(10), "old worker retired");
            assertThat(retired.get("priority")).isEqualTo("autogroup-nice-10");
            assertThat(Files.readString(Path.of("/proc", Long.toString(old), "autogroup"))).contains("nice 10");
            long fresh = herd.events("reload.slot_replaced").getFirst().intField("new_pid");

            long oldBefore = cpuTicks(old);
            long freshBefore = cpuTicks(fresh);
            Thread.sleep(3000); // the measurement window itself, not a wait for a condition
            long oldTicks = cpuTicks(old) - oldBefore;
            long freshTicks = cpuTicks(fresh) - freshBefore;
            double freshShare = (double) freshTicks / (oldTicks + freshTicks);
            System.out.printf("[retired-priority] 3 s on one core: new worker %d ticks, retired worker %d ticks,"
                    + " new share %.3f%n", freshTicks, oldTicks, freshShare);
            assertThat(freshShare).isGreaterThan(0.8);

            herd.signal("USR1");
            LogEvent killed = herd.awaitEvent(e -> e.is("worker.exited", "pid", Long.toString(old)),
                    Duration.ofSeconds(10), "retired worker killed by SIGUSR1");
            assertThat(killed.get("signal")).isEqualTo("KILL");
            assertThat(killed.get("reason")).isEqualTo("killed");
            assertThat(herd.processes()).contains(fresh).doesNotContain(old);
        }
    }

    @Test
    void killRetiredCommandKillsDrainingWorkersOnly() {
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "2", "--ready-when", "started",
                "--drain-timeout", "120s", "--", "/bin/sh", "-c", "exec 0<&-; trap '' TERM; exec sleep 300"));
        try (Herd herd = Herd.start(dir, args)) {
            herd.awaitPort();
            List<Long> first = herd.awaitReady(2, Duration.ofSeconds(20));
            assertThat(herd.cli("reload").code()).isZero();
            Shell.Result status = herd.cli("status");
            assertThat(status.output()).contains("retired");
            Shell.Result kill = herd.cli("kill-retired");
            assertThat(kill.code()).isZero();
            assertThat(kill.output()).contains("killed 2 retired worker(s)");
            for (long pid : first) {
                herd.awaitEvent(e -> e.is("worker.exited", "pid", Long.toString(pid)), Duration.ofSeconds(10),
                        "retired " + pid + " killed");
            }
            assertThat(herd.liveReadyPids()).hasSize(2).doesNotContainAnyElementsOf(first);
        }
    }
}
