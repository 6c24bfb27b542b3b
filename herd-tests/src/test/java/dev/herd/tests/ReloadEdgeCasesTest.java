package dev.herd.tests;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** recluster's issues #45 (reloads stacking) and #46 (a new worker that never gets ready). */
class ReloadEdgeCasesTest {

    @Test
    void newWorkerThatNeverBecomesReadyIsKilledAndTheOldOneKeepsServing() throws Exception {
        Path dir = Herd.newDir();
        String script = "if [ \"$HERD_GENERATION\" = 1 ]; then exec " + Workers.demoShell() + "; else exec sleep 300; fi";
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "2", "--start-timeout", "2s", "--"));
        args.addAll(Workers.sh(script));
        try (Herd herd = Herd.start(dir, args)) {
            int port = herd.awaitPort();
            List<Long> old = herd.awaitReady(2, Duration.ofSeconds(60));
            LoadClient load = LoadClient.newConnectionPerRequest(port, 2, 100_000, Duration.ofSeconds(60));
            Shell.Result reload;
            try {
                load.awaitRequests(50);
                reload = herd.cli("reload");
                long atFailure = load.completed();
                load.awaitRequests(atFailure + 50);
            } finally {
                load.stop();
            }
            System.out.println("[reload-never-ready] " + reload.output().strip() + "; load " + load.summary());
            assertThat(reload.code()).isEqualTo(1);
            assertThat(reload.output()).contains("not ready within the start timeout (2000 ms)");
            assertThat(load.failures()).isEmpty();
            assertThat(load.pidsSeen()).containsExactlyInAnyOrderElementsOf(old);
            LogEvent timedOut = herd.events("worker.exited").getFirst();
            assertThat(timedOut.get("reason")).isEqualTo("start-timeout");
            assertThat(timedOut.get("generation")).isEqualTo("2");
            assertThat(herd.liveReadyPids()).containsExactlyInAnyOrderElementsOf(old);
        }
    }

    @Test
    void reloadsAskedForDuringAReloadAreQueuedOnceNotStacked() {
        Path dir = Herd.newDir();
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "2"))) {
            herd.awaitPort();
            herd.awaitReady(2, Duration.ofSeconds(60));
            herd.signal("HUP");
            herd.awaitEvent(e -> e.name().equals("reload.begun"), Duration.ofSeconds(10), "first reload");
            herd.signal("HUP");
            herd.signal("HUP");
            herd.signal("HUP");
            herd.awaitEvent(e -> e.is("reload.done", "generation", "3"), Duration.ofSeconds(60), "queued reload done");
            assertThat(herd.events("reload.queued")).hasSize(3);
            assertThat(herd.events("reload.queued").getFirst().get("note")).contains("starts when it ends");
            assertThat(herd.events("reload.queued").get(1).get("note")).contains("not queued twice");
            assertThat(herd.events("reload.begun")).hasSize(2);
            assertThat(herd.events("reload.done")).extracting(e -> e.get("generation")).containsExactly("2", "3");
        }
    }
}
