package dev.herd.logs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/** What a worker does to its spool (append, as O_APPEND), and what the tests read back from a log directory. */
final class Spools {
    private Spools() {
    }

    /** Appends as a worker does (O_APPEND on the slot's spool). */
    static void append(Path logDir, int slot, String text) {
        append(logDir, slot, text.getBytes(StandardCharsets.UTF_8));
    }

    static void append(Path logDir, int slot, byte[] bytes) {
        try {
            Files.write(WorkerLogs.spoolFor(logDir, slot), bytes, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path log(Path logDir, int slot) {
        return logDir.resolve(WorkerLogs.logName(slot));
    }

    static Path rotated(Path logDir, int slot, int i) {
        return logDir.resolve(WorkerLogs.logName(slot) + "." + i);
    }

    static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every line a slot's log directory holds, oldest first: {@code .N} ... {@code .1}, then the log itself. */
    static List<String> allKeptLines(Path logDir, int slot, int keep) {
        List<String> lines = new ArrayList<>();
        for (int i = keep; i >= 1; i--) {
            if (Files.exists(rotated(logDir, slot, i), LinkOption.NOFOLLOW_LINKS)) {
                lines.addAll(lines(rotated(logDir, slot, i)));
            }
        }
        if (Files.exists(log(logDir, slot), LinkOption.NOFOLLOW_LINKS)) {
            lines.addAll(lines(log(logDir, slot)));
        }
        return lines;
    }

    /** {@code count} distinct lines of {@code width} bytes each, the newline included. */
    static List<String> numbered(String prefix, int count, int width) {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String head = prefix + i + "-";
            lines.add(head + "x".repeat(width - 1 - head.length()));
        }
        return lines;
    }

    static String joined(List<String> lines) {
        StringBuilder text = new StringBuilder();
        lines.forEach(line -> text.append(line).append('\n'));
        return text.toString();
    }
}
