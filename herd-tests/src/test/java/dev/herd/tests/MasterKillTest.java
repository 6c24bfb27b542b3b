package dev.herd.tests;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Must-show 6: SIGKILL of the master leaves its workers serving (own session, log files, no pipes). */
class MasterKillTest {

    @Test
    void workersKeepServingAfterTheMasterIsKilled() throws Exception {
        Path dir = Herd.newDir();
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "2"))) {
            int port = herd.awaitPort();
            List<Long> workers = herd.awaitReady(2, Duration.ofSeconds(60));

            herd.signal("KILL");
            herd.awaitExit(Duration.ofSeconds(10));

            Set<Long> served = new HashSet<>();
            for (int i = 0; i < 200; i++) {
                Http.Response response = Http.get(port, "/");
                assertThat(response.status()).isEqualTo(200);
                served.add(response.pid());
            }
            assertThat(served).containsExactlyInAnyOrderElementsOf(workers);
            assertThat(herd.processes()).containsExactlyInAnyOrderElementsOf(workers);
            // the workers write to their spool files, not to a pipe that died with the master; what the master had
            // copied before it died is in the slot's log, the rest still in the spool (the master punches holes
            // only over what it has copied), so between them nothing is lost
            for (long worker : workers) {
                assertThat(java.nio.file.Files.readSymbolicLink(Path.of("/proc/" + worker + "/fd/1")).toString())
                        .as("stdout of " + worker).matches(".*/state/logs/\\.spool/worker-\\d+\\.out");
            }
            Path log = dir.resolve("state/logs/worker-0.log");
            Path spool = dir.resolve("state/logs/.spool/worker-0.out");
            String written = (java.nio.file.Files.exists(log) ? java.nio.file.Files.readString(log) : "")
                    + java.nio.file.Files.readString(spool).replace("\0", "");
            assertThat(written).contains("slot=0");
        }
    }
}
