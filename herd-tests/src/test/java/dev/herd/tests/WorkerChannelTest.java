package dev.herd.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The worker channel: malformed lines do not disturb the master or the other workers; a worker whose heartbeats
 * stop is replaced by the watchdog without a refused connection.
 */
class WorkerChannelTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void malformedLinesFromAWorkerAreIgnoredAndItsRealMessagesStillCount() throws Exception {
        Path dir = Herd.newDir();
        Path script = Path.of(WorkerChannelTest.class.getResource("/workers/garbage_channel_worker.py").toURI());
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "2", "--ready-when", "notify",
                "--", "/usr/bin/python3", script.toString(), "1000"))) {
            herd.awaitPort();
            herd.awaitReady(2, Duration.ofSeconds(60));
            Shell.Result status = herd.cli("status", "--json");
            assertThat(status.code()).as(status.output()).isZero();
            JsonNode workers = JSON.readTree(status.output()).path("result").path("workers");
            assertThat(workers).hasSize(2).allSatisfy(w -> {
                assertThat(w.path("state").asText()).isEqualTo("ready");
                assertThat(w.path("status").asText()).isEqualTo("still here after garbage");
            });
            List<LogEvent> bad = herd.events("worker.bad_message");
            // 1,000 bad lines per worker: the first 10 each are logged, then only the 1000th
            assertThat(bad).hasSize(2 * 11);
            assertThat(bad).extracting(e -> e.get("error")).contains("not JSON: Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
                    "unknown type 'launch-missiles'", "protocol version 99 is newer than this master's (1)",
                    "status needs a \"text\" string", "line longer than 65536 characters, skipped", "no \"type\" string",
                    "not a JSON object");
            assertThat(herd.events("worker.exited")).isEmpty();
            assertThat(herd.cli("health").code()).isZero();
        }
    }

    @Test
    void aWorkerWhoseHeartbeatsStopIsReplacedWithoutARefusedConnection() throws Exception {
        Path dir = Herd.newDir();
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "2", "--watchdog-timeout", "1500ms"),
                java.util.Map.of("HERD_DEMO_TEST_HOOKS", "1"))) {
            int port = herd.awaitPort();
            List<Long> before = herd.awaitReady(2, Duration.ofSeconds(60));
            LoadClient load = LoadClient.newConnectionPerRequest(port, 4, 1_000_000, Duration.ofSeconds(90));
            long hung;
            try {
                load.awaitRequests(300);
                hung = Http.get(port, "/hang").pid(); // that worker stops accepting and heartbeating
                LogEvent found = herd.awaitEvent(e -> e.name().equals("worker.hung"), Duration.ofSeconds(15),
                        "the watchdog finding the hung worker");
                assertThat(found.pid()).isEqualTo(hung);
                LogEvent exited = herd.awaitEvent(e -> e.name().equals("worker.exited") && e.pid() == hung,
                        Duration.ofSeconds(30), "the hung worker killed after its replacement");
                assertThat(exited.get("signal")).isEqualTo("KILL");
                herd.awaitEvent(e -> e.name().equals("reload.done") && "restart".equals(e.get("kind")),
                        Duration.ofSeconds(30), "the slot restarted");
                load.awaitRequests(load.completed() + 300);
            } finally {
                load.stop();
            }
            System.out.println("[watchdog] " + load.summary());
            assertThat(load.failures()).as("no refused or failed request: " + load.summary()).isEmpty();
            List<Long> after = herd.liveReadyPids();
            assertThat(after).hasSize(2).doesNotContain(hung);
            assertThat(after).containsAnyElementsOf(before); // the other worker was left alone
            assertThat(herd.events("worker.hung")).hasSize(1);
        }
    }

    @Test
    void sdNotifyWatchdogHeartbeatsCountForAWorkerInAnotherLanguage() throws Exception {
        Path dir = Herd.newDir();
        Path script = Path.of(WorkerChannelTest.class.getResource("/workers/notify_watchdog_worker.py").toURI());
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "1", "--ready-when", "notify",
                "--watchdog-timeout", "1s", "--", "/usr/bin/python3", script.toString(), "5"))) {
            herd.awaitPort();
            long first = herd.awaitReady(1, Duration.ofSeconds(30)).getFirst();
            // 5 heartbeats over a second keep it; then silence: hung, replaced, killed
            LogEvent hung = herd.awaitEvent(e -> e.name().equals("worker.hung"), Duration.ofSeconds(30), "the watchdog");
            assertThat(hung.pid()).isEqualTo(first);
            assertThat(Long.parseLong(hung.get("silent_ms"))).isGreaterThanOrEqualTo(1000);
            herd.awaitEvent(e -> e.name().equals("worker.exited") && e.pid() == first, Duration.ofSeconds(30),
                    "the hung worker killed");
            assertThat(herd.events("worker.ready").stream().filter(e -> e.pid() != first)).isNotEmpty();
        }
    }
}
