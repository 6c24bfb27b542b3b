package dev.herd.logs;

import static dev.herd.logs.Spools.allKeptLines;
import static dev.herd.logs.Spools.append;
import static dev.herd.logs.Spools.joined;
import static dev.herd.logs.Spools.numbered;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code herd logs -n N} and {@code GET /logs}: the last lines of a slot's log, across its rotated files. */
class TailTest {
    @TempDir
    Path logDir;

    @Test
    void theLastLinesComeOldestFirstAcrossTheRotatedFiles() throws Exception {
        List<String> written = numbered("t", 45, 10); // worker-0.log holds 5, each of .1 to .4 holds 10
        try (WorkerLogs logs = new WorkerLogs(logDir, 100, 5)) {
            append(logDir, 0, joined(written));
            logs.pollAll(false);
            assertThat(logs.tail(0, 3)).isEqualTo(written.subList(42, 45));
            assertThat(logs.tail(0, 5)).as("exactly the current file").isEqualTo(written.subList(40, 45));
            assertThat(logs.tail(0, 6)).isEqualTo(written.subList(39, 45));
            assertThat(logs.tail(0, 23)).isEqualTo(written.subList(22, 45));
        }
    }

    @Test
    void askingForMoreLinesThanAreKeptGivesAllThatIsKept() throws Exception {
        List<String> written = numbered("t", 45, 10);
        try (WorkerLogs logs = new WorkerLogs(logDir, 100, 2)) {
            append(logDir, 0, joined(written));
            logs.pollAll(false);
            assertThat(logs.tail(0, 1000)).isEqualTo(allKeptLines(logDir, 0, 2)).isEqualTo(written.subList(20, 45));
        }
    }

    @Test
    void aSlotWithoutALogHasNoLinesAndZeroLinesAreNone() throws Exception {
        try (WorkerLogs logs = new WorkerLogs(logDir, 100, 2)) {
            assertThat(logs.tail(7, 10)).isEmpty();
            append(logDir, 0, "one\n");
            logs.pollAll(false);
            assertThat(logs.tail(0, 0)).isEmpty();
        }
    }

    @Test
    void anUnfinishedLineIsNotInTheTailUntilItEnds() throws Exception {
        try (WorkerLogs logs = new WorkerLogs(logDir, 10_000, 2)) {
            append(logDir, 0, "done\nhal");
            logs.pollAll(false);
            assertThat(logs.tail(0, 10)).containsExactly("done");
            append(logDir, 0, "f\n");
            logs.pollAll(false);
            assertThat(logs.tail(0, 10)).containsExactly("done", "half");
        }
    }

    @Test
    void emptyLinesCountAsLines() throws Exception {
        try (WorkerLogs logs = new WorkerLogs(logDir, 10_000, 2)) {
            append(logDir, 0, "a\n\nb\n\n");
            logs.pollAll(false);
            assertThat(logs.tail(0, 1)).containsExactly("");
            assertThat(logs.tail(0, 2)).containsExactly("b", "");
            assertThat(logs.tail(0, 10)).containsExactly("a", "", "b", "");
        }
    }

    /** The file is read backwards in 8 KiB chunks: lines longer than a chunk, and newlines at chunk edges. */
    @Test
    void linesLongerThanTheReadChunkAndNewlinesAtItsEdgesComeBackWhole() throws Exception {
        Path file = logDir.resolve("worker-9.log");
        List<String> written = new ArrayList<>();
        for (int length : new int[] {20_000, 8191, 8192, 8193, 0, 1, 16_383, 3}) {
            written.add("x".repeat(length));
        }
        Files.writeString(file, joined(written));
        for (int count = 1; count <= written.size() + 1; count++) {
            assertThat(WorkerLogs.lastLines(file, count)).as("last %d", count)
                    .isEqualTo(written.subList(Math.max(0, written.size() - count), written.size()));
        }
    }

    @Test
    void multiByteCharactersAcrossAChunkEdgeComeBackWhole() throws Exception {
        String accents = "é".repeat(6000); // 12000 bytes: some 'é' straddles the 8 KiB edge
        try (WorkerLogs logs = new WorkerLogs(logDir, 10_000_000, 2)) {
            append(logDir, 0, "first\n" + accents + "\nlast\n");
            logs.pollAll(false);
            assertThat(logs.tail(0, 2)).containsExactly(accents, "last");
            assertThat(logs.tail(0, 3)).containsExactly("first", accents, "last");
        }
    }
}
