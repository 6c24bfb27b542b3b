package dev.herd.tests;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Must-show 3: a worker that exits at once backs off, its slot goes FAILED, the others keep serving. */
class CrashLoopTest {

    @Test
    void crashLoopingSlotBacksOffThenFailsWhileTheOthersServe() throws Exception {
        Path dir = Herd.newDir();
        String script = "if [ \"$HERD_WORKER_ID\" = 1 ]; then echo 'slot 1 cannot start'; exit 7; fi; exec "
                + Workers.demoShell();
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "3", "--restart-delay", "100ms",
                "--max-restarts-per-minute", "4", "--"));
        args.addAll(Workers.sh(script));
        try (Herd herd = Herd.start(dir, args)) {
            int port = herd.awaitPort();
            herd.awaitEvent(e -> e.is("slot.failed", "slot", "1"), Duration.ofSeconds(60), "slot 1 failed");
            herd.awaitReady(2, Duration.ofSeconds(60));

            List<Long> delays = herd.events("worker.restart_scheduled").stream()
                    .filter(e -> e.get("slot").equals("1")).map(e -> Long.parseLong(e.get("delay_ms"))).toList();
            System.out.println("[crash-loop] restart delays of slot 1 (ms): " + delays);
            assertThat(delays).containsExactly(100L, 200L, 400L, 800L);
            List<LogEvent> exits = herd.events("worker.exited").stream().filter(e -> e.get("slot").equals("1")).toList();
            assertThat(exits).hasSize(5).allSatisfy(e -> {
                assertThat(e.get("code")).isEqualTo("7");
                assertThat(e.get("reason")).isEqualTo("crash");
            });
            assertThat(herd.events("slot.failed").getFirst().get("exits_last_minute")).isEqualTo("5");

            Set<Integer> slots = new HashSet<>();
            for (int i = 0; i < 100; i++) {
                Http.Response response = Http.get(port, "/");
                assertThat(response.status()).isEqualTo(200);
                slots.add(response.slot());
            }
            assertThat(slots).containsExactlyInAnyOrder(0, 2);
            assertThat(herd.process.isAlive()).isTrue();
            long forksOfSlot1 = herd.events("worker.forked").stream().filter(e -> e.get("slot").equals("1")).count();
            assertThat(forksOfSlot1).isEqualTo(5);
            // the master copies a worker's output into its slot's log within a poll period of the exit
            org.awaitility.Awaitility.await("slot 1's output in its log").atMost(Duration.ofSeconds(10))
                    .until(() -> Files.readString(dir.resolve("state/logs/worker-1.log")).contains("slot 1 cannot start"));
        }
    }

    @Test
    void masterExitsWithCode4WhenEverySlotFailed() {
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "2", "--restart-delay", "0s",
                "--max-restarts-per-minute", "2", "--"));
        args.addAll(Workers.sh("exit 3"));
        try (Herd herd = Herd.start(dir, args)) {
            assertThat(herd.awaitExit(Duration.ofSeconds(60))).isEqualTo(4);
            assertThat(herd.events("slot.failed")).hasSize(2);
            assertThat(herd.events("cluster.stopped").getFirst().get("why")).isEqualTo("every slot failed");
            assertThat(herd.processes()).isEmpty();
        }
    }
}
