package dev.herd.tests;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Must-show 1: `bin/herd run --workers 4 --port P` serves requests spread over 4 worker pids. */
class ClusterServesTest {

    @Test
    void requestsAreSpreadOverFourWorkerProcessesEachWithItsSlot() throws Exception {
        Path dir = Herd.newDir();
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "4"))) {
            int port = herd.awaitPort();
            List<Long> ready = herd.awaitReady(4, Duration.ofSeconds(60));

            Map<Long, Integer> slotByPid = new HashMap<>();
            for (int i = 0; i < 400 && slotByPid.size() < 4; i++) {
                Http.Response response = Http.get(port, "/");
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.generation()).isEqualTo(1);
                slotByPid.put(response.pid(), response.slot());
            }
            System.out.println("[cluster-serves] pid -> slot seen: " + slotByPid);

            assertThat(slotByPid.keySet()).containsExactlyInAnyOrderElementsOf(ready);
            assertThat(slotByPid.values()).containsExactlyInAnyOrder(0, 1, 2, 3);
            for (LogEvent readyEvent : herd.events("worker.ready")) {
                assertThat(slotByPid.get(readyEvent.pid())).isEqualTo(readyEvent.intField("slot"));
            }
        }
    }

    @Test
    void servesOnIpv6Loopback() throws Exception {
        Path dir = Herd.newDir();
        List<String> args = new java.util.ArrayList<>(Herd.runArgs(dir, "--workers", "1"));
        args.set(args.indexOf("127.0.0.1"), "::1");
        try (Herd herd = Herd.start(dir, args)) {
            int port = herd.awaitPort();
            herd.awaitReady(1, Duration.ofSeconds(60));
            assertThat(herd.events("cluster.listening").getFirst().get("address")).startsWith("[::1]:");
            try (Http http = new Http("::1", port)) {
                assertThat(http.request("/", false).status()).isEqualTo(200);
            }
        }
    }

    @Test
    void eachWorkerIsToldTheDrainTimeout() throws Exception {
        Path dir = Herd.newDir();
        List<String> args = new java.util.ArrayList<>(Herd.runArgs(dir, "--workers", "1", "--drain-timeout", "12s",
                "--"));
        args.addAll(Workers.sh("echo \"drain timeout: $HERD_DRAIN_TIMEOUT_MS\"; exec " + Workers.demoShell()));
        try (Herd herd = Herd.start(dir, args)) {
            herd.awaitReady(1, Duration.ofSeconds(60));
            org.awaitility.Awaitility.await("the worker's echo in its log").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(50)).until(() -> herd.workerLogs().contains("drain timeout: "));
            assertThat(herd.workerLogs()).contains("drain timeout: 12000\n");
        }
    }
}
