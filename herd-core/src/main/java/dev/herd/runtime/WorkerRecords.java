package dev.herd.runtime;

import dev.herd.Event;
import dev.herd.EventListener;
import dev.herd.os.ProcFs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * One small file per live worker, {@code STATE-DIR/workers/PID}, written when it is spawned and removed when it
 * is reaped. Workers outlive a master that is SIGKILLed; these records are how the next master on the same
 * state dir knows which processes still holding the port are Herd's (and can name them), without trusting a
 * pid that the system has since given to something else: a record keeps the process's start time too.
 */
final class WorkerRecords implements EventListener {
    private static final Logger log = LoggerFactory.getLogger(WorkerRecords.class);

    /** A worker of an earlier master that still runs. */
    record Orphan(int pid, int slot, int generation) {
    }

    private final Path dir;

    WorkerRecords(Path dir) {
        this.dir = dir;
    }

    /** The recorded workers that still run (the same pid with the same start time); stale records are removed. */
    List<Orphan> survivors() {
        List<Orphan> alive = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path file : files) {
                Orphan orphan = aliveOrNull(file);
                if (orphan == null) {
                    Files.deleteIfExists(file);
                } else {
                    alive.add(orphan);
                }
            }
        } catch (IOException e) {
            log.warn("event=state.records_unreadable dir={} error=\"{}\"", dir, e.getMessage());
        }
        if (alive.size() > 1) { // the comparator's lambdas cost a master with no survivors (most starts) 3 ms to link
            alive.sort(Comparator.comparingInt(Orphan::slot).thenComparingInt(Orphan::pid));
        }
        return alive;
    }

    @Override
    public void onEvent(Event event) {
        try {
            if (event instanceof Event.WorkerForked forked) {
                write((int) forked.pid(), forked.slot(), forked.generation());
            } else if (event instanceof Event.WorkerExited exited) {
                Files.deleteIfExists(file((int) exited.pid()));
            }
        } catch (IOException | UncheckedIOException e) {
            // the record only serves naming orphans after a crash of the master; a worker never fails for it
            log.warn("event=state.record_error dir={} error=\"{}\"", dir, e.getMessage());
        }
    }

    private void write(int pid, int slot, int generation) throws IOException {
        OptionalLong started = ProcFs.startTime(pid);
        if (started.isEmpty()) {
            return; // already gone: its exit follows and there is nothing to name
        }
        Path file = file(pid);
        Files.deleteIfExists(file); // a record left by a dead worker whose pid came round again
        String text = "slot=" + slot + " generation=" + generation + " start=" + started.getAsLong() + "\n";
        Files.writeString(file, text, StandardCharsets.US_ASCII, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
    }

    private Path file(int pid) {
        return dir.resolve(Integer.toString(pid));
    }

    private static Orphan aliveOrNull(Path file) {
        try {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                return null;
            }
            int pid = Integer.parseInt(file.getFileName().toString());
            Map<String, String> fields = parse(Files.readString(file, StandardCharsets.US_ASCII));
            OptionalLong started = ProcFs.startTime(pid);
            if (started.isEmpty() || started.getAsLong() != Long.parseLong(fields.get("start"))) {
                return null;
            }
            return new Orphan(pid, Integer.parseInt(fields.get("slot")), Integer.parseInt(fields.get("generation")));
        } catch (IOException | RuntimeException e) {
            return null; // unreadable or not ours: it names nothing
        }
    }

    private static Map<String, String> parse(String text) {
        Map<String, String> fields = new HashMap<>();
        for (String word : text.trim().split("\\s+")) {
            int equals = word.indexOf('=');
            if (equals > 0) {
                fields.put(word.substring(0, equals), word.substring(equals + 1));
            }
        }
        return fields;
    }
}
