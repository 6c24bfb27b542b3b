package dev.herd.tests;

import com.fasterxml.jackson.jr.ob.JSON;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 18, item 4: the container convention. {@code --log-to stdout} puts every worker line on the master's stdout
 * after its slot, in order and none missing (each worker prints 3000 numbered lines at once), while the log files
 * still get them; {@code --log-format json} makes every line the master writes one JSON object, its events' fields
 * and the worker lines included.
 */
class LogOutputTest {
    private static final int LINES = 3000;

    private static List<String> worker() {
        return Workers.sh("i=0; while [ $i -lt " + LINES + " ]; do echo \"line $i of slot $HERD_WORKER_ID\"; i=$((i+1));"
                + " done; exec " + Workers.demoShell());
    }

    @Test
    void everyWorkerLineReachesStdoutAfterItsSlotInOrder() throws Exception {
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "2", "--log-to", "stdout"));
        args.add("--");
        args.addAll(worker());
        try (Herd herd = Herd.start(dir, args)) {
            herd.awaitReady(2, Duration.ofSeconds(60));
            for (int slot = 0; slot < 2; slot++) {
                String prefix = " slot=" + slot + " | line ";
                int s = slot;
                await("slot " + slot + "'s lines on stdout").atMost(Duration.ofSeconds(20)).until(() ->
                        herd.output().lines().filter(l -> l.contains(prefix)).count() == LINES);
                List<String> lines = herd.output().lines().filter(l -> l.contains(prefix))
                        .map(l -> l.substring(l.indexOf(" slot=")).strip()).toList();
                for (int i = 0; i < LINES; i++) {
                    assertThat(lines.get(i)).isEqualTo("slot=" + s + " | line " + i + " of slot " + s);
                }
            }
            // the files keep them too
            assertThat(herd.workerLogs().lines().filter(l -> l.startsWith("line ")).count()).isEqualTo(2L * LINES);
        }
    }

    @Test
    void withJsonEveryLineTheMasterWritesIsAnObject() throws Exception {
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "2", "--log-to", "stdout",
                "--log-format", "json"));
        args.add("--");
        args.addAll(worker());
        try (Herd herd = Herd.start(dir, args)) {
            await("both workers ready").atMost(Duration.ofSeconds(60)).until(() -> objects(herd).stream()
                    .filter(o -> "worker.ready".equals(o.get("event"))).count() == 2);
            await("every worker line").atMost(Duration.ofSeconds(20)).until(() -> objects(herd).stream()
                    .filter(o -> o.containsKey("line")).count() >= 2L * LINES);
            Map<String, Object> listening = objects(herd).stream()
                    .filter(o -> "cluster.listening".equals(o.get("event"))).findFirst().orElseThrow();
            assertThat(listening).containsKeys("time", "level", "address").containsEntry("workers", 2);
            assertThat(objects(herd)).anySatisfy(o -> assertThat(o)
                    .containsEntry("slot", 1).containsEntry("line", "line 0 of slot 1").containsEntry("level", "INFO"));
            herd.signal("TERM");
            assertThat(herd.awaitExit(Duration.ofSeconds(60))).isZero();
            assertThat(objects(herd)).anySatisfy(o -> assertThat(o).containsEntry("event", "cluster.stopped")
                    .containsEntry("exit_code", 0));
        }
    }

    /** Every line of the master's output as a JSON object: a line that is not one fails the test. */
    private static List<Map<String, Object>> objects(Herd herd) throws Exception {
        List<Map<String, Object>> all = new ArrayList<>();
        String text = herd.output();
        text = text.substring(0, text.lastIndexOf('\n') + 1); // a line being written is not one yet
        for (String line : text.lines().toList()) {
            all.add(JSON.std.mapFrom(line));
        }
        return all;
    }
}
