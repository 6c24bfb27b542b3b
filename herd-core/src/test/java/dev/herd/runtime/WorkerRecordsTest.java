package dev.herd.runtime;

import dev.herd.os.ProcFs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The state dir's worker records: what the next master adopts, and what it never takes for a worker. */
class WorkerRecordsTest {
    private static final int SELF = (int) ProcessHandle.current().pid();

    private static WorkerRecords.WorkerRecord record(int pid, long start) {
        return new WorkerRecords.WorkerRecord(pid, start, 1, 3, List.of("java", "-jar", "app.jar"), Map.of("A", "b"),
                false, "2026-12-05T00:00:00Z", 0, 7, "/state/notify/1.7.sock", "/state/notify/1.7.chan", null);
    }

    @Test
    void aLiveWorkersRecordSurvivesWithWhatItSaysAndReadinessIsRewritten(@TempDir Path dir) {
        WorkerRecords records = new WorkerRecords(dir);
        long start = ProcFs.startTime(SELF).orElseThrow();
        records.launched(record(SELF, start));
        records.onEvent(new dev.herd.Event.WorkerReady(java.time.Instant.EPOCH, 1, SELF, 3, java.time.Duration.ZERO));
        List<String> stale = new ArrayList<>();
        List<WorkerRecords.Orphan> alive = new WorkerRecords(dir).survivors(stale);
        assertThat(stale).isEmpty();
        assertThat(alive).singleElement().satisfies(orphan -> {
            assertThat(orphan.slot()).isEqualTo(1);
            assertThat(orphan.generation()).isEqualTo(3);
            assertThat(orphan.record().ready()).isTrue();
            assertThat(orphan.record().argv()).containsExactly("java", "-jar", "app.jar");
            assertThat(orphan.record().env()).containsEntry("A", "b");
            assertThat(orphan.record().sequence()).isEqualTo(7);
        });
    }

    @Test
    void aPidNowNamingAnotherProcessAGoneOneOrGarbageIsNeverAWorker(@TempDir Path dir) throws IOException {
        WorkerRecords records = new WorkerRecords(dir);
        long start = ProcFs.startTime(SELF).orElseThrow();
        records.launched(record(SELF, start + 1)); // the pid came round again: another start time
        Files.writeString(dir.resolve("4194304"), "{\"pid\":4194304}"); // no such process (above pid_max)
        Files.writeString(dir.resolve("1"), "not json");
        Files.writeString(dir.resolve(".5.tmp"), "a write cut short");
        List<String> stale = new ArrayList<>();
        assertThat(records.survivors(stale)).isEmpty();
        assertThat(stale).anySatisfy(s -> assertThat(s).startsWith("pid " + SELF + " (now another process"));
        assertThat(stale).anySatisfy(s -> assertThat(s).isEqualTo("pid 4194304 (gone)"));
        assertThat(stale).anySatisfy(s -> assertThat(s).startsWith("1 (unreadable"));
        try (var left = Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString()).toList()).as("stale records removed").isEmpty();
        }
    }

    @Test
    void anExitRemovesTheRecord(@TempDir Path dir) throws IOException {
        WorkerRecords records = new WorkerRecords(dir);
        records.launched(record(SELF, ProcFs.startTime(SELF).orElseThrow()));
        assertThat(dir.resolve(Integer.toString(SELF))).exists();
        records.onEvent(new dev.herd.Event.WorkerExited(java.time.Instant.EPOCH, 1, SELF, 3, 0, null,
                dev.herd.Event.ExitReason.STOPPED, java.time.Duration.ZERO, null));
        assertThat(dir.resolve(Integer.toString(SELF))).doesNotExist();
    }
}
