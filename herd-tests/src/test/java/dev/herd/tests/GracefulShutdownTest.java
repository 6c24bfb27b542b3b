package dev.herd.tests;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Must-show 4: SIGTERM under load: in-flight requests complete, then everything exits, nothing remains. */
class GracefulShutdownTest {

    @Test
    void sigtermDrainsInFlightRequestsThenEverythingExits() throws Exception {
        Path dir = Herd.newDir();
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "2", "--drain-timeout", "20s"))) {
            int port = herd.awaitPort();
            List<Long> workers = herd.awaitReady(2, Duration.ofSeconds(60));
            LoadClient load = LoadClient.keepAlive(port, 4, 200_000, Duration.ofSeconds(60));
            ExecutorService slowClients = Executors.newFixedThreadPool(4);
            try {
                load.awaitRequests(500);
                List<Future<Http.Response>> slow = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    Http connection = new Http(port);
                    connection.send("/slow?ms=2000", false);
                    slow.add(slowClients.submit(() -> {
                        try (connection) {
                            return connection.read();
                        }
                    }));
                }
                // In flight means accepted by a worker: the connections are established (connect returned),
                // so wait until the kernel's accept queue of the port is empty again.
                await("slow requests accepted").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                        .until(() -> ProcNet.acceptQueue(port) == 0);

                load.expectShutdown();
                herd.signal("TERM");

                for (Future<Http.Response> future : slow) {
                    Http.Response response = future.get(30, TimeUnit.SECONDS);
                    assertThat(response.status()).isEqualTo(200);
                    assertThat(response.closes()).isTrue();
                }
                load.awaitEnd(Duration.ofSeconds(30));
            } finally {
                load.stop();
                slowClients.shutdownNow();
            }
            System.out.println("[graceful-shutdown] " + load.summary());
            assertThat(load.failures()).isEmpty();
            assertThat(herd.awaitExit(Duration.ofSeconds(30))).isZero();
            List<LogEvent> exits = herd.events("worker.exited");
            assertThat(exits).extracting(LogEvent::pid).containsExactlyInAnyOrderElementsOf(workers);
            assertThat(exits).allSatisfy(e -> {
                assertThat(e.get("reason")).isEqualTo("stopped");
                assertThat(e.get("code")).isEqualTo("0");
            });
            await("no process of the cluster remains").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(20)).until(() -> herd.processes().isEmpty());
        }
    }
}
