package dev.herd.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A worker that never starts (a server that binds the port itself and dies with "Address already in use") runs
 * into the failed-start budget with the default settings, and its own last lines are quoted where the operator
 * looks: the events, {@code herd status} and the master's last line.
 */
@Tag("chaos")
class FailedStartsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aWorkerThatNeverStartsEndsTheMasterWithCode4WithinAMinuteQuotingWhy() {
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "2", "--"));
        args.addAll(Workers.sh("echo \"bind: Address already in use\" >&2; exit 1"));
        long started = System.nanoTime();
        try (Herd herd = Herd.start(dir, args)) {
            assertThat(herd.awaitExit(Duration.ofSeconds(90))).as(herd.output()).isEqualTo(4);
            long seconds = Duration.ofNanos(System.nanoTime() - started).toMillis() / 1000;
            System.out.println("[failed-starts] default settings: the master exited 4 after " + seconds + " s");
            assertThat(seconds).as("time to exit 4").isLessThan(60);

            assertThat(herd.events("worker.exited")).hasSize(10).allSatisfy(e -> {
                assertThat(e.get("code")).isEqualTo("1");
                assertThat(e.get("last_output")).isEqualTo("bind: Address already in use");
            });
            List<LogEvent> failed = herd.events("slot.failed");
            assertThat(failed).hasSize(2).allSatisfy(e -> {
                assertThat(e.get("budget")).isEqualTo("max-failed-starts");
                assertThat(e.get("failed_starts")).isEqualTo("5");
                assertThat(e.get("limit")).isEqualTo("5");
                assertThat(e.get("last_output")).isEqualTo("bind: Address already in use");
            });
            List<String> lines = herd.output().lines().filter(line -> !line.isBlank()).toList();
            LogEvent last = LogEvent.parse(lines.getLast()).orElseThrow(() -> new AssertionError(lines.getLast()));
            assertThat(last.name()).isEqualTo("cluster.stopped");
            assertThat(last.get("exit_code")).isEqualTo("4");
            assertThat(last.get("why")).isEqualTo("every slot failed");
            assertThat(last.get("last_failure")).matches("slot [01] gave up after 5 failed starts in a row "
                    + "\\(--max-failed-starts 5\\); its last worker: exit code 1 before it was ready; "
                    + "last output: bind: Address already in use");
            assertThat(herd.processes()).isEmpty();
        }
    }

    /** A real bind of the cluster's port by the worker (Python's socket module), not an echo of the words. */
    @Test
    void aWorkerThatBindsThePortItselfGetsAnEventSayingSo() {
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "1", "--max-failed-starts", "1", "--"));
        args.addAll(List.of("/usr/bin/python3", "-c", "import os, socket; s = socket.socket(); "
                + "s.bind(('127.0.0.1', int(os.environ['HERD_PORT']))); s.listen()"));
        try (Herd herd = Herd.start(dir, args)) {
            int port = herd.awaitPort();
            assertThat(herd.awaitExit(Duration.ofSeconds(60))).as(herd.output()).isEqualTo(4);
            LogEvent exited = herd.events("worker.exited").getFirst();
            assertThat(exited.get("last_output")).contains("Address already in use");
            List<LogEvent> bound = herd.events("worker.bound_own_port");
            assertThat(bound).hasSize(1);
            assertThat(bound.getFirst().get("pid")).isEqualTo(exited.get("pid"));
            assertThat(bound.getFirst().get("port")).isEqualTo(Integer.toString(port));
            assertThat(bound.getFirst().get("socket_fd")).isEqualTo("0");
            assertThat(bound.getFirst().get("hint")).contains("the worker binds port " + port + " itself");
        }
    }

    @Test
    void eachFailedStartQuotesItsOwnLastLinesAndStatusShowsTheFailedSlotsCause() throws Exception {
        Path dir = Herd.newDir();
        // slot 1 dies at once, each time with lines naming its own pid, the last one unfinished (no newline): the
        // master's copier has not passed it on when the exit is seen, so only a copy at the exit can quote it
        String script = "if [ \"$HERD_WORKER_ID\" = 1 ]; then echo \"pid $$ starting\"; "
                + "printf \"pid $$: bind: Address already in use\" >&2; exit 1; fi; exec " + Workers.demoShell();
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "2", "--"));
        args.addAll(Workers.sh(script));
        try (Herd herd = Herd.start(dir, args)) {
            int port = herd.awaitPort();
            herd.awaitEvent(e -> e.is("slot.failed", "slot", "1"), Duration.ofSeconds(60), "slot 1 failed");
            herd.awaitReady(1, Duration.ofSeconds(60));

            List<LogEvent> exits = herd.events("worker.exited").stream().filter(e -> e.get("slot").equals("1")).toList();
            assertThat(exits).hasSize(5).allSatisfy(e -> assertThat(e.line()).contains("last_output=\"pid " + e.pid()
                    + " starting\\npid " + e.pid() + ": bind: Address already in use\""));
            assertThat(herd.events("worker.restart_scheduled")).extracting(e -> e.get("failed_starts"))
                    .containsExactly("1", "2", "3", "4");

            Shell.Result status = herd.cli("status", "--json");
            assertThat(status.code()).as(status.output()).isZero();
            JsonNode slot1 = null;
            for (JsonNode w : JSON.readTree(status.output()).path("result").path("workers")) {
                if (w.path("slot").asInt() == 1) {
                    slot1 = w;
                }
            }
            assertThat(slot1).as(status.output()).isNotNull();
            assertThat(slot1.path("state").asText()).isEqualTo("failed");
            JsonNode failure = slot1.path("lastFailure");
            long lastPid = exits.getLast().pid();
            assertThat(failure.path("pid").asLong()).isEqualTo(lastPid);
            assertThat(failure.path("exit").asText()).isEqualTo("exit code 1");
            assertThat(failure.path("wasReady").asBoolean()).isFalse();
            assertThat(failure.path("failedStarts").asInt()).isEqualTo(5);
            assertThat(failure.path("gaveUp").asText()).isEqualTo("5 failed starts in a row (--max-failed-starts 5)");
            assertThat(failure.path("lastOutput").asText())
                    .isEqualTo("pid " + lastPid + " starting\npid " + lastPid + ": bind: Address already in use");

            Shell.Result table = herd.cli("status");
            assertThat(table.code()).as(table.output()).isZero();
            assertThat(table.output()).contains("failed", "gave up: 5 failed starts in a row (--max-failed-starts 5); "
                    + "last: exit code 1 before ready", "      | pid " + lastPid + ": bind: Address already in use");
            System.out.println("[failed-starts] herd status:\n" + table.output());

            assertThat(Http.get(port, "/").slot()).isZero(); // the other slot kept serving
            assertThat(herd.process.isAlive()).isTrue();
        }
    }
}
