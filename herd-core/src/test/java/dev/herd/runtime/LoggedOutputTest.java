package dev.herd.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herd.logs.WorkerLogs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A failed start's last lines, read from its slot's log when the worker exits. */
class LoggedOutputTest {
    @TempDir
    Path logDir;

    private void append(int slot, String text) throws Exception {
        Files.writeString(WorkerLogs.spoolFor(logDir, slot), text, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }

    @Test
    void aFailedStartsLastLinesEndItsOwnUnfinishedLineAndNoOtherSlots() throws Exception {
        Files.createDirectories(logDir);
        try (WorkerLogs logs = new WorkerLogs(logDir, 10_000_000, 5)) {
            LoggedOutput output = new LoggedOutput(logs, logDir);
            long mark = output.mark(0);
            append(0, "starting\nError: port in use");
            append(1, "slot one is half way through a li");

            assertThat(output.lastLines(0, mark)).isEqualTo("starting\nError: port in use");

            append(1, "ne\n");
            logs.pollAll(false);
            assertThat(logs.tail(1, 5)).as("slot 1's line, written in two parts around slot 0's exit")
                    .containsExactly("slot one is half way through a line");
        }
    }
}
