package dev.herd.logs;

import static dev.herd.logs.Spools.append;
import static dev.herd.logs.Spools.lines;
import static dev.herd.logs.Spools.log;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README: "A line longer than 64 KiB is passed on in pieces of 64 KiB, each piece after the first starting with
 * {@code [continued] }" (to the log, and to followers), so a reader can join them again.
 */
class LongLinesTest {
    private static final int KIB_64 = 64 * 1024;

    @TempDir
    Path logDir;

    /** Distinct content, so that a piece out of place or a lost byte shows. */
    private static String text(int length) {
        StringBuilder text = new StringBuilder(length);
        for (int i = 0; text.length() < length; i++) {
            text.append(i).append(',');
        }
        return text.substring(0, length);
    }

    @Test
    void aLineOver64KiBIsPassedOnIn64KiBPiecesEachAfterTheFirstMarkedContinued() throws Exception {
        String line = text(150_000);
        List<String> followed = new ArrayList<>();
        try (WorkerLogs logs = new WorkerLogs(logDir, 10_000_000, 5);
             WorkerLogs.Follower follower = logs.follow(0)) {
            append(logDir, 0, line + "\nnext\n");
            logs.pollAll(false);
            for (WorkerLogs.Line item; (item = follower.next(Duration.ZERO)) != null; ) {
                followed.add(item.text());
            }
        }
        List<String> expected = List.of(
                line.substring(0, KIB_64),
                SlotLog.CONTINUED + line.substring(KIB_64, 2 * KIB_64),
                SlotLog.CONTINUED + line.substring(2 * KIB_64),
                "next");
        assertThat(lines(log(logDir, 0))).isEqualTo(expected);
        assertThat(followed).isEqualTo(expected);
    }

    @Test
    void aLineOfExactly64KiBIsNotLongerThan64KiBAndStaysOneLine() throws Exception {
        String line = text(KIB_64);
        try (WorkerLogs logs = new WorkerLogs(logDir, 10_000_000, 5)) {
            append(logDir, 0, line + "\nnext\n");
            logs.pollAll(false);
        }
        assertThat(lines(log(logDir, 0))).containsExactly(line, "next");
    }

    @Test
    void aLineOneByteOver64KiBEndsInAOneBytePiece() throws Exception {
        String line = text(KIB_64 + 1);
        try (WorkerLogs logs = new WorkerLogs(logDir, 10_000_000, 5)) {
            append(logDir, 0, line + "\n");
            logs.pollAll(false);
        }
        assertThat(lines(log(logDir, 0))).containsExactly(line.substring(0, KIB_64),
                SlotLog.CONTINUED + line.substring(KIB_64));
    }

    @Test
    void aLongLineWrittenOverManyPassesIsCutTheSameWay() throws Exception {
        String line = text(150_000);
        try (WorkerLogs logs = new WorkerLogs(logDir, 10_000_000, 5)) {
            for (int at = 0; at < line.length(); at += 10_000) {
                append(logDir, 0, line.substring(at, Math.min(line.length(), at + 10_000)));
                logs.pollAll(false);
            }
            assertThat(lines(log(logDir, 0))).as("whole pieces only, before the line ends").containsExactly(
                    line.substring(0, KIB_64), SlotLog.CONTINUED + line.substring(KIB_64, 2 * KIB_64));
            append(logDir, 0, "\n");
            logs.pollAll(false);
        }
        assertThat(lines(log(logDir, 0))).containsExactly(line.substring(0, KIB_64),
                SlotLog.CONTINUED + line.substring(KIB_64, 2 * KIB_64), SlotLog.CONTINUED + line.substring(2 * KIB_64));
    }

    @Test
    void thePiecesOfALongLineRotateLikeLinesWithTheMarkerCounted() throws Exception {
        String line = text(3 * KIB_64);
        int max = KIB_64 + SlotLog.CONTINUED.length() + 1; // one piece with its marker and newline fits exactly
        try (WorkerLogs logs = new WorkerLogs(logDir, max, 5)) {
            append(logDir, 0, line + "\n");
            logs.pollAll(false);
        }
        assertThat(lines(Spools.rotated(logDir, 0, 2))).containsExactly(line.substring(0, KIB_64));
        assertThat(lines(Spools.rotated(logDir, 0, 1))).containsExactly(SlotLog.CONTINUED + line.substring(KIB_64, 2 * KIB_64));
        assertThat(lines(log(logDir, 0))).containsExactly(SlotLog.CONTINUED + line.substring(2 * KIB_64));
        assertThat(java.nio.file.Files.size(log(logDir, 0))).isEqualTo(max);
    }
}
