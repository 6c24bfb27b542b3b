package dev.herd.logs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The copier on real files, driven by hand (no watch thread): which unfinished lines end, and planted links. */
class WorkerLogsTest {
    @TempDir
    Path logDir;

    @Test
    void aWorkerExitEndsOnlyItsOwnSlotsUnfinishedLine() throws Exception {
        try (WorkerLogs logs = new WorkerLogs(logDir, 10_000_000, 5)) {
            append(0, "zero done\nzero half");
            append(1, "one done\none half");
            logs.workerExited(0);
            logs.pollAll(false);
            assertThat(Files.readAllLines(logDir.resolve("worker-0.log"))).containsExactly("zero done", "zero half");
            assertThat(Files.readAllLines(logDir.resolve("worker-1.log"))).containsExactly("one done");

            // slot 1's writer finishes its line later: it is one line, not two
            append(1, " and the rest\n");
            logs.pollAll(false);
            assertThat(Files.readAllLines(logDir.resolve("worker-1.log"))).containsExactly("one done", "one half and the rest");
            // what slot 0's next worker writes starts a line of its own
            append(0, "next worker\n");
            logs.pollAll(false);
            assertThat(Files.readAllLines(logDir.resolve("worker-0.log"))).containsExactly("zero done", "zero half", "next worker");
        }
    }

    @Test
    void aLinkPlantedAtTheLogIsReplacedAndItsTargetLeftAlone() throws Exception {
        Path outside = Files.writeString(logDir.resolveSibling(logDir.getFileName() + "-outside.txt"), "secret\n");
        try {
            Files.createSymbolicLink(logDir.resolve("worker-0.log"), outside);
            Files.createSymbolicLink(logDir.resolve("worker-0.log.1"), outside);
            try (WorkerLogs logs = new WorkerLogs(logDir, 10_000_000, 5)) {
                append(0, "mine\n");
                logs.pollAll(false);
                assertThat(Files.isSymbolicLink(logDir.resolve("worker-0.log"))).isFalse();
                assertThat(Files.readAllLines(logDir.resolve("worker-0.log"))).containsExactly("mine");
                assertThat(Files.readString(outside)).isEqualTo("secret\n");
                // the rotated name is a link too: the tail skips it rather than serve its target
                assertThat(logs.tail(0, 100)).containsExactly("mine");
            }
        } finally {
            Files.deleteIfExists(outside);
        }
    }

    @Test
    void theSlotsFilesAreClosedOnceIdleAndOpenedAgainWhenTheSpoolGrows() throws Exception {
        try (WorkerLogs logs = new WorkerLogs(logDir, 10_000_000, 5)) {
            append(0, "before\n");
            logs.pollAll(false);
            SlotLog slot = logs.slotLog(0);
            assertThat(slot.isOpen()).isTrue();
            slot.closeIfIdle(System.nanoTime() + SlotLog.IDLE_CLOSE_NANOS);
            assertThat(slot.isOpen()).isFalse();
            logs.pollAll(false);
            assertThat(slot.isOpen()).as("nothing new: still closed").isFalse();
            append(0, "after\n");
            logs.pollAll(false);
            assertThat(slot.isOpen()).isTrue();
            assertThat(Files.readAllLines(logDir.resolve("worker-0.log"))).containsExactly("before", "after");
        }
    }

    /**
     * A pass with nothing new must not touch the spool: every fallocate(2) is a change inotify reports, and the
     * copier wakes on the spool directory's changes, so one there would make an idle copier spin.
     */
    @Test
    void aPassWithNothingNewLeavesTheSpoolUntouched() throws Exception {
        try (WorkerLogs logs = new WorkerLogs(logDir, 10_000_000, 5);
             java.nio.file.WatchService watch = logDir.getFileSystem().newWatchService()) {
            append(0, "one\n");
            logs.pollAll(false);
            Path spoolDir = WorkerLogs.spoolFor(logDir, 0).getParent();
            spoolDir.register(watch, java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY,
                    java.nio.file.StandardWatchEventKinds.ENTRY_CREATE);
            logs.pollAll(false);
            logs.pollAll(false);
            // inotify keeps its events in order: once this marker's arrives, any the idle passes caused came first
            Files.writeString(spoolDir.resolve("marker"), "m");
            java.util.List<String> changed = new java.util.ArrayList<>();
            while (!changed.contains("marker")) {
                java.nio.file.WatchKey key = watch.poll(10, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(key).as("the marker's event").isNotNull();
                key.pollEvents().forEach(e -> changed.add(String.valueOf(e.context())));
                key.reset();
            }
            assertThat(changed).containsOnly("marker");
        }
    }

    private void append(int slot, String text) throws Exception {
        Path spool = WorkerLogs.spoolFor(logDir, slot);
        Files.writeString(spool, text, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS);
    }
}
