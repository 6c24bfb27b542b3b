package dev.herd.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** restart, shutdown and scale of single slots and pids, with real workers, under load where it matters. */
class WorkerCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode cli(Herd herd, String... words) throws IOException {
        String[] args = new String[words.length];
        System.arraycopy(words, 1, args, 0, words.length - 1);
        args[words.length - 1] = "--json";
        Shell.Result result = herd.cli(words[0], args);
        JsonNode answer = JSON.readTree(result.output());
        assertThat(answer.path("ok").asBoolean()).as(String.join(" ", words) + ": " + result.output()).isTrue();
        return answer.path("result");
    }

    /** slot -> pid of its current (not retired) worker, "stopped"/"failed" slots as 0. */
    private static Map<Integer, Long> slots(Herd herd) throws IOException {
        Map<Integer, Long> slots = new HashMap<>();
        for (JsonNode w : cli(herd, "workers")) {
            if (!w.path("retired").asBoolean()) {
                slots.put(w.path("slot").asInt(), w.path("pid").asLong());
            }
        }
        return slots;
    }

    private static Map<Integer, String> states(Herd herd) throws IOException {
        Map<Integer, String> states = new HashMap<>();
        for (JsonNode w : cli(herd, "workers")) {
            if (!w.path("retired").asBoolean()) {
                states.put(w.path("slot").asInt(), w.path("state").asText());
            }
        }
        return states;
    }

    @Test
    void restartingOneSlotOrPidReplacesOnlyThatWorkerWithoutAFailedRequest() throws Exception {
        Path dir = Herd.newDir();
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "3"))) {
            int port = herd.awaitPort();
            herd.awaitReady(3, Duration.ofSeconds(60));
            Map<Integer, Long> before = slots(herd);
            LoadClient load = LoadClient.newConnectionPerRequest(port, 4, 1_000_000, Duration.ofSeconds(60));
            try {
                load.awaitRequests(500);
                JsonNode bySlot = cli(herd, "restart", "slot", "1");
                assertThat(bySlot.path("kind").asText()).isEqualTo("restart");
                assertThat(bySlot.path("ok").asBoolean()).isTrue();
                assertThat(bySlot.path("replaced")).hasSize(1);
                assertThat(bySlot.path("generation").asInt()).as("a restart keeps the generation").isEqualTo(1);
                Map<Integer, Long> afterSlot = slots(herd);
                assertThat(afterSlot.get(1)).isNotEqualTo(before.get(1));
                assertThat(afterSlot.get(0)).isEqualTo(before.get(0));
                assertThat(afterSlot.get(2)).isEqualTo(before.get(2));

                JsonNode byPid = cli(herd, "restart", "pid", Long.toString(before.get(2)));
                assertThat(byPid.path("replaced").get(0).asInt()).isEqualTo(2);
                Map<Integer, Long> afterPid = slots(herd);
                assertThat(afterPid.get(2)).isNotEqualTo(before.get(2));
                assertThat(afterPid.get(0)).isEqualTo(before.get(0));
                load.awaitRequests(load.completed() + 500);
            } finally {
                load.stop();
            }
            assertThat(load.failures()).as(load.summary()).isEmpty();
            assertThat(cli(herd, "status").path("generation").asInt()).isEqualTo(1);

            Shell.Result noSuchSlot = herd.cli("restart", "slot", "7");
            assertThat(noSuchSlot.code()).isEqualTo(1);
            assertThat(noSuchSlot.output()).contains("there is no slot 7; slots are 0 to 2");
            Shell.Result noSuchPid = herd.cli("restart", "pid", "1");
            assertThat(noSuchPid.output()).contains("no current worker has pid 1");
            Shell.Result garbage = herd.cli("restart", "slot", "x");
            assertThat(garbage.output()).contains("'x' is not a slot number");
        }
    }

    @Test
    void aShutDownSlotStaysStoppedUntilRestarted() throws Exception {
        Path dir = Herd.newDir();
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "2"))) {
            herd.awaitPort();
            herd.awaitReady(2, Duration.ofSeconds(60));
            long victim = slots(herd).get(0);
            JsonNode stopped = cli(herd, "shutdown", "slot", "0", "--drain-timeout", "5s");
            assertThat(stopped.path("stoppedSlots").get(0).asInt()).isZero();
            assertThat(stopped.path("drainingPids").get(0).asLong()).isEqualTo(victim);
            assertThat(stopped.path("drainTimeoutMillis").asLong()).isEqualTo(5000);
            LogEvent exited = herd.awaitEvent(e -> e.name().equals("worker.exited") && e.pid() == victim,
                    Duration.ofSeconds(30), "the stopped worker's exit");
            assertThat(exited.get("reason")).isEqualTo("stopped");
            assertThat(states(herd)).containsEntry(0, "stopped").containsEntry(1, "ready");
            assertThat(cli(herd, "health").path("status").asText()).isEqualTo("degraded");
            assertThat(herd.events("restart.scheduled")).as("a stopped slot is not restarted").isEmpty();
            assertThat(herd.events("worker.forked")).hasSize(2);

            JsonNode restarted = cli(herd, "restart", "slot", "0");
            assertThat(restarted.path("ok").asBoolean()).isTrue();
            assertThat(states(herd)).containsEntry(0, "ready").containsEntry(1, "ready");
            assertThat(cli(herd, "health").path("status").asText()).isEqualTo("ok");
        }
    }

    @Test
    void scaleStartsNewSlotsAndDrainsTheHighestOnes() throws Exception {
        Path dir = Herd.newDir();
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "1"))) {
            int port = herd.awaitPort();
            herd.awaitReady(1, Duration.ofSeconds(60));
            JsonNode up = cli(herd, "scale", "3");
            assertThat(up.path("from").asInt()).isEqualTo(1);
            assertThat(up.path("startedSlots").toString()).isEqualTo("[1,2]");
            await("3 ready workers").atMost(Duration.ofSeconds(60)).until(() -> states(herd).values().stream()
                    .filter("ready"::equals).count() == 3);
            assertThat(Http.get(port, "/").status()).isEqualTo(200);
            assertThat(cli(herd, "health").path("slots").asInt()).isEqualTo(3);

            Map<Integer, Long> before = slots(herd);
            JsonNode down = cli(herd, "scale", "1");
            assertThat(down.path("removedSlots").toString()).isEqualTo("[2,1]");
            herd.awaitEvent(e -> e.name().equals("worker.exited") && e.pid() == before.get(2), Duration.ofSeconds(30), "slot 2 gone");
            herd.awaitEvent(e -> e.name().equals("worker.exited") && e.pid() == before.get(1), Duration.ofSeconds(30), "slot 1 gone");
            assertThat(slots(herd)).containsOnlyKeys(0).containsEntry(0, before.get(0));
            assertThat(cli(herd, "health").path("status").asText()).isEqualTo("ok");
            assertThat(herd.events("restart.scheduled")).isEmpty();

            Shell.Result zero = herd.cli("scale", "0");
            assertThat(zero.code()).isEqualTo(1);
            assertThat(zero.output()).contains("'0' is not a count from 1 to 1024");
        }
    }

    @Test
    void scaleIsRefusedWhereSocketsAreMadePerSlot() throws Exception {
        Path dir = Herd.newDir();
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "2", "--mode", "reuseport"))) {
            herd.awaitPort();
            herd.awaitReady(2, Duration.ofSeconds(60));
            Shell.Result refused = herd.cli("scale", "3");
            assertThat(refused.code()).isEqualTo(1);
            assertThat(refused.output()).contains("scale is not available in --mode reuseport")
                    .contains("restart the master with --workers 3");
            assertThat(herd.events("worker.forked")).hasSize(2);
        }
    }
}
