package dev.herd.tests;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Must-show 2: kill -9 of a worker; its slot gets a ready replacement and no connection attempt is refused. */
class CrashRecoveryTest {

    @Test
    void killedWorkerIsReplacedInItsSlotWhileTheSocketKeepsQueueingConnections() throws Exception {
        Path dir = Herd.newDir();
        // One worker and a 1 s restart delay: for over a second nobody accepts, so every request sent then
        // must wait in the backlog of the socket the master keeps open, and be answered by the replacement.
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "1", "--restart-delay", "1s"))) {
            int port = herd.awaitPort();
            long victim = herd.awaitReady(1, Duration.ofSeconds(60)).getFirst();

            Shell.run("kill", "-9", Long.toString(victim));
            herd.awaitEvent(e -> e.is("worker.exited", "pid", Long.toString(victim)), Duration.ofSeconds(10),
                    "exit of the killed worker");

            ExecutorService clients = Executors.newFixedThreadPool(8);
            try {
                List<Future<Http.Response>> duringGap = new java.util.ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    duringGap.add(clients.submit(() -> Http.get(port, "/")));
                }
                LogEvent replacement = herd.awaitEvent(e -> e.is("worker.ready", "slot", "0") && e.pid() != victim,
                        Duration.ofSeconds(30), "replacement ready in slot 0");
                for (Future<Http.Response> future : duringGap) {
                    Http.Response response = future.get(30, TimeUnit.SECONDS);
                    assertThat(response.status()).isEqualTo(200);
                    assertThat(response.pid()).isEqualTo(replacement.pid());
                    assertThat(response.slot()).isZero();
                }
            } finally {
                clients.shutdownNow();
            }
            LogEvent exited = herd.events("worker.exited").getFirst();
            assertThat(exited.get("signal")).isEqualTo("KILL");
            assertThat(exited.get("reason")).isEqualTo("crash");
            assertThat(herd.events("worker.restart_scheduled").getFirst().get("delay_ms")).isEqualTo("1000");
        }
    }

    @Test
    void underLoadAKilledWorkerCostsNoRequest() throws Exception {
        Path dir = Herd.newDir();
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "2"))) {
            int port = herd.awaitPort();
            List<Long> pids = herd.awaitReady(2, Duration.ofSeconds(60));
            long victim = pids.getFirst();
            LoadClient load = LoadClient.newConnectionPerRequest(port, 4, 20_000, Duration.ofSeconds(60));
            long deadAt = Long.MAX_VALUE;
            try {
                load.awaitRequests(200);
                Shell.run("kill", "-9", Long.toString(victim));
                herd.awaitEvent(e -> e.is("worker.exited", "pid", Long.toString(victim)), Duration.ofSeconds(10),
                        "exit of the killed worker");
                deadAt = System.nanoTime();
                herd.awaitEvent(e -> e.name().equals("worker.ready") && e.pid() != victim
                        && !pids.contains(e.pid()), Duration.ofSeconds(30), "replacement ready");
                long atReady = load.completed();
                load.awaitRequests(atReady + 200);
            } finally {
                load.stop();
            }
            System.out.println("[crash-under-load] " + load.summary());
            // SIGKILL loses what the victim had accepted and not answered: at most one request per client
            // thread. Nothing else may fail: no connection refused, and nothing started after it was dead.
            long dead = deadAt;
            assertThat(load.failures()).hasSizeLessThanOrEqualTo(4)
                    .allSatisfy(f -> assertThat(f.what()).isEqualTo("new connection closed before any response"))
                    .allSatisfy(f -> assertThat(f.startedNanos()).isLessThan(dead));
            assertThat(load.pidsSeen()).contains(victim);
        }
    }
}
