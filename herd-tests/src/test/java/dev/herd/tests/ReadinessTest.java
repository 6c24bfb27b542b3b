package dev.herd.tests;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Socket on fd 3 with LISTEN_FDS/LISTEN_PID, readiness by sd_notify, and the start timeout. */
class ReadinessTest {

    static final String PYTHON = "/usr/bin/python3";

    @Test
    void socketActivatedWorkersOnFd3BecomeReadyByNotify() throws Exception {
        Path dir = Herd.newDir();
        Path script = Path.of(ReadinessTest.class.getResource("/workers/fd3_notify_worker.py").toURI());
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "2", "--socket-fd", "3",
                "--ready-when", "notify", "--", PYTHON, script.toString()));
        try (Herd herd = Herd.start(dir, args)) {
            int port = herd.awaitPort();
            List<Long> ready = herd.awaitReady(2, Duration.ofSeconds(30));
            Set<Long> served = new HashSet<>();
            for (int i = 0; i < 50; i++) {
                Http.Response response = Http.get(port, "/");
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.body()).contains("\"stdinDevNull\":true");
                served.add(response.pid());
            }
            assertThat(ready).containsAll(served);
            assertThat(herd.events("worker.status")).extracting(e -> e.get("status"))
                    .containsExactlyInAnyOrder("serving slot 0", "serving slot 1");
        }
    }

    @Test
    void workerThatNeverSaysReadyIsKilledAtTheStartTimeoutAndRetried() {
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "1", "--ready-when", "notify",
                "--start-timeout", "1s", "--restart-delay", "100ms", "--", "sleep", "60"));
        try (Herd herd = Herd.start(dir, args)) {
            herd.awaitPort();
            LogEvent timedOut = herd.awaitEvent(e -> e.is("worker.exited", "reason", "start-timeout"),
                    Duration.ofSeconds(20), "start timeout");
            assertThat(timedOut.get("signal")).isEqualTo("KILL");
            assertThat(Long.parseLong(timedOut.get("uptime_ms"))).isBetween(1000L, 5000L);
            herd.awaitEvent(e -> e.name().equals("worker.forked") && e.pid() != timedOut.pid(),
                    Duration.ofSeconds(20), "a new attempt");
            assertThat(herd.events("worker.ready")).isEmpty();
        }
    }

    @Test
    void startedReadinessCountsTheWorkerReadyAtSpawn() {
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "2", "--ready-when", "started",
                "--", "sleep", "60"));
        try (Herd herd = Herd.start(dir, args)) {
            herd.awaitPort();
            assertThat(herd.awaitReady(2, Duration.ofSeconds(20))).hasSize(2);
        }
    }
}
