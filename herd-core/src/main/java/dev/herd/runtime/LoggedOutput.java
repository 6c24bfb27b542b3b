package dev.herd.runtime;

import dev.herd.logs.Logfmt;

import dev.herd.supervisor.WorkerOutput;

import dev.herd.logs.WorkerLogs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Worker output as the logs hold it. A worker appends to its slot's spool, whose size only grows (the copier
 * punches holes, it never truncates), so the size at spawn and at exit say how many bytes that worker wrote. At
 * the exit the copy into the log may lag by up to a second: the spool is copied now, on the supervisor thread,
 * before the log's last lines are read.
 */
final class LoggedOutput implements WorkerOutput {
    private static final Logger log = LoggerFactory.getLogger(LoggedOutput.class);
    private final WorkerLogs logs;
    private final Path logDir;

    LoggedOutput(WorkerLogs logs, Path logDir) {
        this.logs = logs;
        this.logDir = logDir;
    }

    @Override
    public long mark(int slot) {
        try {
            return spoolSize(slot);
        } catch (IOException e) {
            return 0;
        }
    }

    @Override
    public String lastLines(int slot, long mark) {
        try {
            long size = spoolSize(slot);
            // a spool that shrank was started anew: all of it is this worker's
            long written = size >= mark ? size - mark : size;
            if (written == 0) {
                return null;
            }
            // end this slot's unfinished last line only: ending every slot's would split another worker's line
            logs.workerExited(slot);
            logs.pollAll(false);
            return LastOutput.quote(logs.tail(slot, LastOutput.MAX_LINES), written);
        } catch (IOException | RuntimeException e) {
            log.warn("event=logs.last_output_unreadable slot={} error={}", slot, Logfmt.value(String.valueOf(e.getMessage())));
            return null;
        }
    }

    private long spoolSize(int slot) throws IOException {
        try {
            return Files.size(WorkerLogs.spoolFor(logDir, slot));
        } catch (NoSuchFileException e) {
            return 0;
        }
    }
}
