package dev.herd.logs;

import static dev.herd.logs.Spools.allKeptLines;
import static dev.herd.logs.Spools.append;
import static dev.herd.logs.Spools.joined;
import static dev.herd.logs.Spools.lines;
import static dev.herd.logs.Spools.log;
import static dev.herd.logs.Spools.numbered;
import static dev.herd.logs.Spools.rotated;
import static org.assertj.core.api.Assertions.assertThat;

import dev.herd.Event;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Rotation by size (--log-max-size, --log-keep), as the README documents it: worker-SLOT.log is renamed
 * worker-SLOT.log.1 before it would grow beyond the size (.1 becomes .2, ... up to keep, the oldest deleted), and a
 * line is never split across files. The copier is driven by hand (no watch thread).
 */
class RotationTest {
    @TempDir
    Path logDir;

    @ParameterizedTest(name = "written in one pass: {0}")
    @ValueSource(booleans = {true, false})
    void filesRotateAtTheSizeAndOnlyKeepRotatedFilesRemainNewestFirst(boolean onePass) throws Exception {
        List<String> written = numbered("l", 50, 10); // 10 lines of 10 bytes fill a 100-byte file exactly
        try (WorkerLogs logs = new WorkerLogs(logDir, 100, 3)) {
            if (onePass) {
                append(logDir, 0, joined(written));
                logs.pollAll(false);
            } else {
                for (String line : written) {
                    append(logDir, 0, line + "\n");
                    logs.pollAll(false);
                }
            }
        }
        // the newest lines are in worker-0.log, the ones before in .1, then .2, .3; .4 never exists
        assertThat(lines(log(logDir, 0))).isEqualTo(written.subList(40, 50));
        assertThat(lines(rotated(logDir, 0, 1))).isEqualTo(written.subList(30, 40));
        assertThat(lines(rotated(logDir, 0, 2))).isEqualTo(written.subList(20, 30));
        assertThat(lines(rotated(logDir, 0, 3))).isEqualTo(written.subList(10, 20));
        assertThat(rotated(logDir, 0, 4)).doesNotExist();
        try (var files = Files.list(logDir)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("worker-0.log")))
                    .containsExactlyInAnyOrder("worker-0.log", "worker-0.log.1", "worker-0.log.2", "worker-0.log.3");
        }
        for (Path file : List.of(log(logDir, 0), rotated(logDir, 0, 1), rotated(logDir, 0, 2), rotated(logDir, 0, 3))) {
            assertThat(Files.size(file)).as("%s: a full file, never beyond the size", file).isEqualTo(100);
        }
    }

    @Test
    void aLineIsNeverSplitAcrossFilesAndAFileRotatesOnlyWhenTheNextLineWouldNotFit() throws Exception {
        Random random = new Random(14);
        List<String> written = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            written.add(("line" + i + "-" + "y".repeat(60)).substring(0, 1 + random.nextInt(60)));
        }
        byte[] all = joined(written).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int max = 64;
        int keep = 100;
        try (WorkerLogs logs = new WorkerLogs(logDir, max, keep)) {
            // the worker's writes end anywhere, mid-line included; the copier runs between them
            for (int at = 0; at < all.length; ) {
                int n = Math.min(all.length - at, 1 + random.nextInt(100));
                append(logDir, 0, java.util.Arrays.copyOfRange(all, at, at + n));
                at += n;
                logs.pollAll(false);
            }
        }
        assertThat(allKeptLines(logDir, 0, keep)).as("every line once, in order, none cut").isEqualTo(written);
        List<Path> oldestFirst = new ArrayList<>();
        for (int i = keep; i >= 1; i--) {
            if (Files.exists(rotated(logDir, 0, i))) {
                oldestFirst.add(rotated(logDir, 0, i));
            }
        }
        oldestFirst.add(log(logDir, 0));
        assertThat(oldestFirst.size()).as("it did rotate").isGreaterThan(10);
        for (int i = 0; i < oldestFirst.size(); i++) {
            byte[] content = Files.readAllBytes(oldestFirst.get(i));
            assertThat(content.length).as("%s is within the size", oldestFirst.get(i)).isBetween(1, max);
            assertThat(content[content.length - 1]).as("%s ends with a whole line", oldestFirst.get(i)).isEqualTo((byte) '\n');
            if (i + 1 < oldestFirst.size()) {
                int nextLine = lines(oldestFirst.get(i + 1)).getFirst().length() + 1;
                assertThat(content.length + nextLine).as("%s was rotated only because the next line did not fit",
                        oldestFirst.get(i)).isGreaterThan(max);
            }
        }
    }

    @Test
    void aLineLongerThanTheSizeGetsAFileOfItsOwnWhole() throws Exception {
        String longLine = "L".repeat(120);
        try (WorkerLogs logs = new WorkerLogs(logDir, 50, 5)) {
            append(logDir, 0, "before\n" + longLine + "\nafter\n");
            logs.pollAll(false);
        }
        assertThat(lines(rotated(logDir, 0, 2))).containsExactly("before");
        assertThat(lines(rotated(logDir, 0, 1))).containsExactly(longLine);
        assertThat(lines(log(logDir, 0))).containsExactly("after");
        assertThat(rotated(logDir, 0, 3)).doesNotExist();
    }

    @Test
    void anEmptyLogIsNeverRotatedAwayEvenForALineLongerThanTheSize() throws Exception {
        String longLine = "L".repeat(120);
        try (WorkerLogs logs = new WorkerLogs(logDir, 50, 5)) {
            append(logDir, 0, longLine + "\n");
            logs.pollAll(false);
            assertThat(rotated(logDir, 0, 1)).as("no empty rotated file").doesNotExist();
            assertThat(lines(log(logDir, 0))).containsExactly(longLine);
        }
    }

    @Test
    void keepZeroDeletesTheFullLogInsteadOfRenamingIt() throws Exception {
        try (WorkerLogs logs = new WorkerLogs(logDir, 20, 0)) {
            append(logDir, 0, "first-line-of-15\nsecond-line-15\n");
            logs.pollAll(false);
        }
        assertThat(lines(log(logDir, 0))).containsExactly("second-line-15");
        try (var files = Files.list(logDir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(".spool", "worker-0.log");
        }
    }

    @Test
    void aRestartedCopierCountsTheLogAlreadyThereTowardsTheSize() throws Exception {
        List<String> first = numbered("a", 6, 10);
        List<String> second = numbered("b", 6, 10);
        try (WorkerLogs logs = new WorkerLogs(logDir, 100, 5)) {
            append(logDir, 0, joined(first));
            logs.pollAll(false);
        }
        try (WorkerLogs logs = new WorkerLogs(logDir, 100, 5)) {
            append(logDir, 0, joined(second));
            logs.pollAll(false);
        }
        // 60 bytes were there: 40 more fit, the 5th new line would make 110
        List<String> expectedRotated = new ArrayList<>(first);
        expectedRotated.addAll(second.subList(0, 4));
        assertThat(lines(rotated(logDir, 0, 1))).isEqualTo(expectedRotated);
        assertThat(lines(log(logDir, 0))).isEqualTo(second.subList(4, 6));
    }

    @Test
    void eachSlotRotatesItsOwnLog() throws Exception {
        try (WorkerLogs logs = new WorkerLogs(logDir, 100, 5)) {
            append(logDir, 0, joined(numbered("zero", 15, 10)));
            append(logDir, 1, joined(numbered("one", 5, 10)));
            logs.pollAll(false);
        }
        assertThat(lines(rotated(logDir, 0, 1))).isEqualTo(numbered("zero", 10, 10));
        assertThat(lines(log(logDir, 0))).isEqualTo(numbered("zero", 15, 10).subList(10, 15));
        assertThat(rotated(logDir, 1, 1)).doesNotExist();
        assertThat(lines(log(logDir, 1))).isEqualTo(numbered("one", 5, 10));
    }

    /**
     * A rotation that cannot be done (here: a directory someone made at worker-0.log.1) makes the slot failing; its
     * lines wait in the spool, the next passes try again without breaking the copier, and once the obstacle is gone
     * every line lands once, in order.
     */
    @Test
    void aFailedRotationLeavesTheLinesInTheSpoolAndIsRetriedOnLaterPasses() throws Exception {
        Path obstacle = Files.createDirectories(rotated(logDir, 0, 1));
        Files.writeString(obstacle.resolve("something"), "kept\n");
        List<String> written = numbered("r", 6, 10);
        List<Event> events = new ArrayList<>();
        try (WorkerLogs logs = new WorkerLogs(logDir, 30, 1)) {
            logs.reportTo(events::add);
            append(logDir, 0, joined(written));
            logs.pollAll(false);
            assertThat(logs.failing()).containsOnlyKeys(0);
            assertThat(logs.failing().get(0)).contains(obstacle.toString());
            assertThat(lines(log(logDir, 0))).as("what fitted before the rotation").isEqualTo(written.subList(0, 3));

            logs.pollAll(false); // a retry while the obstacle is still there
            logs.pollAll(false);
            assertThat(logs.failing()).containsOnlyKeys(0);

            Files.delete(obstacle.resolve("something"));
            Files.delete(obstacle);
            logs.pollAll(false);
            assertThat(logs.failing()).isEmpty();
        }
        assertThat(lines(rotated(logDir, 0, 1))).isEqualTo(written.subList(0, 3));
        assertThat(lines(log(logDir, 0))).isEqualTo(written.subList(3, 6));
        assertThat(events).hasSize(2);
        assertThat(events.get(0)).isInstanceOf(Event.LogsFailing.class);
        assertThat(events.get(1)).isInstanceOf(Event.LogsRecovered.class);
        assertThat(Files.isDirectory(rotated(logDir, 0, 1), LinkOption.NOFOLLOW_LINKS)).isFalse();
    }
}
