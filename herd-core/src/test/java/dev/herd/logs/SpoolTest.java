package dev.herd.logs;

import static dev.herd.logs.Spools.append;
import static dev.herd.logs.Spools.joined;
import static dev.herd.logs.Spools.lines;
import static dev.herd.logs.Spools.log;
import static dev.herd.logs.Spools.numbered;
import static org.assertj.core.api.Assertions.assertThat;

import dev.herd.os.SpoolFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spool as the copier consumes it: it reads from where it stopped (the offset it saves, so a restarted master
 * resumes there), and gives the copied part back to the disk by punching holes, so the spool's allocation stays
 * bounded while its size keeps growing. One slot's copier ({@link SlotLog}) is driven by hand; closing it without
 * a last pass is what a master killed between two passes leaves.
 */
class SpoolTest {
    private static final long BIG = 10_000_000;

    @TempDir
    Path logDir;

    private Path spool() {
        return WorkerLogs.spoolFor(logDir, 0);
    }

    private Path offsetFile() {
        return spool().resolveSibling("worker-0.out.offset");
    }

    private SlotLog copier() throws Exception {
        Files.createDirectories(spool().getParent());
        return new SlotLog(0, spool(), logDir, BIG, 5, new SlotLog.Scratch());
    }

    private static List<String> poll(SlotLog slot) throws Exception {
        List<String> delivered = new ArrayList<>();
        slot.poll(delivered::add, false);
        return delivered;
    }

    @Test
    void aRestartedCopierResumesAtTheSavedOffsetCopyingNothingTwice() throws Exception {
        try (SlotLog first = copier()) {
            append(logDir, 0, "one\ntwo\n");
            assertThat(poll(first)).containsExactly("one", "two");
        }
        assertThat(Files.readString(offsetFile())).isEqualTo("8");
        append(logDir, 0, "three\n"); // written while no master runs
        try (SlotLog second = copier()) {
            assertThat(poll(second)).containsExactly("three");
        }
        assertThat(lines(log(logDir, 0))).containsExactly("one", "two", "three");
    }

    @Test
    void aLineUnfinishedWhenTheMasterStoppedIsCopiedWholeOnceFinished() throws Exception {
        try (SlotLog first = copier()) {
            append(logDir, 0, "one\ntw");
            assertThat(poll(first)).containsExactly("one");
        }
        assertThat(Files.readString(offsetFile())).as("the unfinished line stays uncopied").isEqualTo("4");
        append(logDir, 0, "o\n");
        try (SlotLog second = copier()) {
            assertThat(poll(second)).containsExactly("two");
        }
        assertThat(lines(log(logDir, 0))).containsExactly("one", "two");
    }

    @Test
    void anUnfinishedLineWaitsInTheSpoolAcrossPassesAndIsCopiedOnce() throws Exception {
        try (SlotLog slot = copier()) {
            append(logDir, 0, "a");
            assertThat(poll(slot)).isEmpty();
            append(logDir, 0, "b");
            assertThat(poll(slot)).isEmpty();
            append(logDir, 0, "c\nd");
            assertThat(poll(slot)).containsExactly("abc");
            append(logDir, 0, "\n");
            assertThat(poll(slot)).containsExactly("d");
        }
        assertThat(lines(log(logDir, 0))).containsExactly("abc", "d");
    }

    @Test
    void aSpoolThatShrankIsCopiedAgainFromItsStart() throws Exception {
        try (SlotLog slot = copier()) {
            append(logDir, 0, "one\ntwo\n");
            poll(slot);
            try (FileChannel channel = FileChannel.open(spool(), StandardOpenOption.WRITE)) {
                channel.truncate(0); // someone emptied it by hand
            }
            append(logDir, 0, "new\n");
            assertThat(poll(slot)).containsExactly("new");
        }
        assertThat(lines(log(logDir, 0))).containsExactly("one", "two", "new");
    }

    @Test
    void anOffsetBeyondTheSpoolsEndIsNotBelievedTheSpoolIsCopiedFromItsStart() throws Exception {
        Files.createDirectories(spool().getParent());
        Files.writeString(offsetFile(), "1000"); // the spool was replaced since
        append(logDir, 0, "fresh\n");
        try (SlotLog slot = copier()) {
            assertThat(poll(slot)).containsExactly("fresh");
        }
    }

    @Test
    void theCopiedPartIsPunchedOutSoTheSpoolsAllocationStaysBoundedWhileItsSizeGrows() throws Throwable {
        List<String> lines = numbered("line", 1024, 128);
        long written = 0;
        try (SlotLog slot = copier()) {
            for (int i = 0; i < lines.size(); i += 64) { // 8 KiB per write, 1 MiB in all
                String chunk = joined(lines.subList(i, i + 64));
                append(logDir, 0, chunk);
                written += chunk.length();
                poll(slot);
                assertThat(Allocation.allocatedBytes(spool()))
                        .as("allocated after %d bytes: the reserve ahead and at most a block of copied data", written)
                        .isLessThanOrEqualTo(SlotLog.RESERVE + 2 * SpoolFile.BLOCK);
            }
        }
        assertThat(Files.size(spool())).as("the logical size keeps growing").isEqualTo(1024 * 128);
        assertThat(lines(log(logDir, 0))).isEqualTo(lines);
        try (FileChannel in = FileChannel.open(spool())) {
            assertThat(allZero(in, 0, 1024 * 128)).as("the copied bytes read as a hole").isTrue();
        }
    }

    @Test
    void onlyWholeCopiedBlocksArePunchedTheUncopiedRestOfABlockSurvives() throws Exception {
        int block = (int) SpoolFile.BLOCK;
        String complete = "c".repeat(2 * block - 10 - 1) + "\n"; // ends 10 bytes before the second block's end
        String unfinished = "u".repeat(20);                      // crosses into the third block
        try (SlotLog slot = copier()) {
            append(logDir, 0, complete + unfinished);
            poll(slot);
            try (FileChannel in = FileChannel.open(spool())) {
                assertThat(allZero(in, 0, block)).as("the first block, copied whole, is a hole").isTrue();
                assertThat(allZero(in, block, block)).as("the second block holds uncopied bytes: kept").isFalse();
            }
            append(logDir, 0, "-end\n");
            assertThat(poll(slot)).containsExactly(unfinished + "-end");
            try (FileChannel in = FileChannel.open(spool())) {
                assertThat(allZero(in, 0, 2 * block)).as("now copied too").isTrue();
            }
        }
        assertThat(lines(log(logDir, 0))).containsExactly(complete.strip(), unfinished + "-end");
    }

    @Test
    void aRestartedCopierReadsOnPastTheHoleAndNeverCopiesItsZeros() throws Exception {
        List<String> before = numbered("before", 200, 100); // 20000 bytes: four whole blocks are punched
        List<String> after = numbered("after", 50, 100);
        try (SlotLog first = copier()) {
            append(logDir, 0, joined(before));
            poll(first);
        }
        try (FileChannel in = FileChannel.open(spool())) {
            assertThat(allZero(in, 0, 4 * SpoolFile.BLOCK)).isTrue();
        }
        append(logDir, 0, joined(after));
        try (SlotLog second = copier()) {
            assertThat(poll(second)).isEqualTo(after);
        }
        List<String> expected = new ArrayList<>(before);
        expected.addAll(after);
        assertThat(lines(log(logDir, 0))).isEqualTo(expected);
        assertThat(Files.readString(log(logDir, 0))).doesNotContain("\0");
    }

    /**
     * The offset is saved only once the lines are in the log: when the log cannot take them (here a rotation that
     * cannot be done), the saved offset stays at the last line written, and a copier restarted meanwhile copies the
     * waiting lines once.
     */
    @Test
    void theSavedOffsetNeverRunsAheadOfTheLog() throws Exception {
        Path obstacle = Files.createDirectories(Spools.rotated(logDir, 0, 1));
        Files.writeString(obstacle.resolve("something"), "x");
        List<String> written = numbered("w", 6, 10);
        Files.createDirectories(spool().getParent());
        try (SlotLog first = new SlotLog(0, spool(), logDir, 30, 1, new SlotLog.Scratch())) {
            append(logDir, 0, joined(written));
            try {
                poll(first);
            } catch (java.io.IOException expected) {
                // the rotation failed
            }
        }
        assertThat(Files.readString(offsetFile())).isEqualTo("30");
        Files.delete(obstacle.resolve("something"));
        Files.delete(obstacle);
        try (SlotLog second = new SlotLog(0, spool(), logDir, 30, 1, new SlotLog.Scratch())) {
            assertThat(poll(second)).isEqualTo(written.subList(3, 6));
        }
        assertThat(lines(Spools.rotated(logDir, 0, 1))).isEqualTo(written.subList(0, 3));
        assertThat(lines(log(logDir, 0))).isEqualTo(written.subList(3, 6));
    }

    /**
     * When the offset cannot be saved, a restart resumes from the last offset that was: those lines are copied
     * twice (never lost), which needs them still in the spool: no hole may be punched beyond the saved offset.
     */
    @Test
    void aCopierThatCannotSaveItsOffsetKeepsTheSpoolARestartWouldReadAgain() throws Exception {
        List<String> first = numbered("first", 100, 100);   // 10000 bytes
        List<String> second = numbered("second", 100, 100);
        try (SlotLog slot = copier()) {
            append(logDir, 0, joined(first));
            poll(slot);
            assertThat(Files.readString(offsetFile())).isEqualTo("10000");
            // from now on the offset cannot be saved: a non-empty directory where its temporary file goes
            Path blocker = Files.createDirectories(offsetFile().resolveSibling("worker-0.out.offset.tmp"));
            Files.writeString(blocker.resolve("x"), "x");
            append(logDir, 0, joined(second));
            poll(slot);
        }
        assertThat(Files.readString(offsetFile())).isEqualTo("10000");
        try (SlotLog restarted = copier()) {
            assertThat(poll(restarted)).as("copied again after the restart, whole").isEqualTo(second);
        }
        assertThat(Files.readString(log(logDir, 0))).doesNotContain("\0");
    }

    private static boolean allZero(FileChannel in, long from, long length) throws Exception {
        ByteBuffer buffer = ByteBuffer.allocate((int) length);
        while (buffer.hasRemaining() && in.read(buffer, from + buffer.position()) > 0) {
            // read it all
        }
        for (int i = 0; i < buffer.position(); i++) {
            if (buffer.get(i) != 0) {
                return false;
            }
        }
        return buffer.position() == length;
    }
}
