package dev.herd.tests;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A master at its user's process limit or with too few descriptors: it refuses at start when the limits cannot hold
 * its workers, and at the limit a failed spawn costs that slot a start, never the master; SIGTERM still stops all.
 * RLIMIT_NPROC does not hold root, so these masters run as a uid of their own with no other processes.
 */
@Tag("chaos")
class ResourceLimitsTest {
    /** A uid no account uses, so that RLIMIT_NPROC counts this test's processes alone. */
    private static final String UID = "61713";

    private static List<String> asUnprivileged(Path dir, String... limits) {
        Shell.Result chown = Shell.run("chown", "-R", UID + ":" + UID, dir.toString());
        assertThat(chown.code()).as(chown.output()).isZero();
        List<String> prefix = new ArrayList<>(List.of("setpriv", "--reuid=" + UID, "--regid=" + UID, "--clear-groups",
                "prlimit"));
        prefix.addAll(List.of(limits));
        prefix.add("--");
        return prefix;
    }

    @Test
    void aSpawnFailureAtTheProcessLimitIsAFailedStartAndSigtermStillStopsEverything() throws Exception {
        Path dir = Herd.newDir();
        // each worker is ten processes, as a JVM worker is many threads: with the master's 20-odd threads, the limit of
        // 40 is reached by the second worker's children at the latest, so a later spawn fails however many threads the
        // master has (a worker's own fork that fails only costs it that child)
        Path worker = Files.writeString(dir.resolve("worker.sh"),
                "#!/bin/sh\n" + "sleep 600 &\n".repeat(9) + "exec sleep 600\n");
        worker.toFile().setExecutable(true, false);
        List<String> args = Herd.runArgs(dir, "--workers", "4", "--ready-when", "started", "--restart-delay", "100ms",
                "--", worker.toString());
        // the master has about 13 threads at the preflight, which asks for 13 + 16 + 4, and about 22 once serving
        try (Herd herd = Herd.start(dir, asUnprivileged(dir, "--nproc=40"), args, Map.of())) {
            LogEvent failed = herd.awaitEvent(e -> e.name().equals("worker.spawn_failed"), Duration.ofSeconds(60),
                    "a spawn failing at the process limit");
            assertThat(failed.get("error")).contains("EAGAIN");
            herd.awaitReady(1, Duration.ofSeconds(30));
            assertThat(herd.process.isAlive()).as(herd.output()).isTrue();

            herd.signal("TERM");
            assertThat(herd.awaitExit(Duration.ofSeconds(60))).as(herd.output()).isZero();
            await("no worker left behind").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                    .until(herd::processes, List::isEmpty);
        }
    }

    @Test
    void tooFewDescriptorsForTheWorkersIsRefusedAtStart() {
        Path dir = Herd.newDir();
        try (Herd herd = Herd.start(dir, List.of("prlimit", "--nofile=64", "--"), Herd.runArgs(dir, "--workers", "8"),
                Map.of())) {
            assertThat(herd.awaitExit(Duration.ofSeconds(30))).isEqualTo(3);
            String output = herd.output();
            assertThat(output.strip().lines().toList()).as(output).hasSize(1);
            assertThat(output).startsWith("herd: open files: the limit (RLIMIT_NOFILE) is 64 and 8 workers need about")
                    .contains("ulimit -n");
            assertThat(herd.events("worker.forked")).isEmpty();
            assertThat(herd.processes()).isEmpty();
        }
    }

    @Test
    void tooFewProcessesForTheWorkersIsRefusedAtStart() {
        Path dir = Herd.newDir();
        try (Herd herd = Herd.start(dir, asUnprivileged(dir, "--nproc=24"), Herd.runArgs(dir, "--workers", "8"), Map.of())) {
            assertThat(herd.awaitExit(Duration.ofSeconds(30))).isEqualTo(3);
            String output = herd.output();
            assertThat(output.strip().lines().toList()).as(output).hasSize(1);
            assertThat(output).startsWith("herd: processes: the limit (RLIMIT_NPROC) of this user's processes and threads is 24 and 8 workers need at least");
            assertThat(herd.processes()).isEmpty();
        }
    }
}
