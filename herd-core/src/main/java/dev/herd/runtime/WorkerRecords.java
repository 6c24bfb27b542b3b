package dev.herd.runtime;

import dev.herd.Event;
import dev.herd.EventListener;
import dev.herd.control.ControlJson;
import dev.herd.os.ProcFs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One small JSON file per live worker, {@code STATE-DIR/workers/PID} (cluster2's pid files), written when it is
 * spawned, rewritten when it becomes ready and removed when it exits. Workers outlive a master that is SIGKILLed;
 * these records are how the next master on the same state dir adopts them: which slot and generation each serves,
 * what it runs, where its notify and channel sockets and its cgroup are. A record keeps the process's start time
 * too, so a pid the system has since given to another process is never taken for a worker.
 */
final class WorkerRecords implements EventListener {
    private static final Logger log = LoggerFactory.getLogger(WorkerRecords.class);
    /** A record larger than this is not one of ours. */
    private static final long MAX_RECORD_BYTES = 256 * 1024;

    /**
     * What a record says about one worker.
     *
     * @param start    its start time in clock ticks since boot (/proc/PID/stat field 22)
     * @param env      the environment its deployment adds to the master's (an upgrade's), not the whole environment
     * @param spawned  when it was spawned (ISO-8601)
     * @param port     its private port in proxy mode, else 0
     * @param sequence the number in its notify and channel socket names
     * @param cgroup   its cgroup directory, or null when it has none
     */
    record WorkerRecord(int pid, long start, int slot, int generation, List<String> argv, Map<String, String> env,
                        boolean ready, String spawned, int port, long sequence, String notifySocket, String channelSocket,
                        String cgroup) {
        WorkerRecord withReady() {
            return new WorkerRecord(pid, start, slot, generation, argv, env, true, spawned, port, sequence, notifySocket,
                    channelSocket, cgroup);
        }
    }

    /** A recorded worker that still runs, and what its record says. */
    record Orphan(int pid, int slot, int generation, WorkerRecord record) {
    }

    private final Path dir;
    /** The records this master wrote, by pid, so that readiness rewrites them without reading them back. */
    private final Map<Long, WorkerRecord> written = new ConcurrentHashMap<>();

    WorkerRecords(Path dir) {
        this.dir = dir;
    }

    /**
     * The recorded workers that still run (the same pid with the same start time), sorted by slot; records of
     * processes that are gone, or whose pid now names another process, are removed, and how many were is returned
     * in {@code stale}.
     */
    List<Orphan> survivors(List<String> stale) {
        List<Orphan> alive = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path file : files) {
                Orphan orphan = aliveOrNull(file, stale);
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

    /** A worker was spawned: its record. Never throws: a worker does not fail for its record. */
    void launched(WorkerRecord record) {
        written.put((long) record.pid(), record);
        write(record);
    }

    /** An adopted worker: its record (kept from the earlier master) is this master's now. */
    void adopted(WorkerRecord record) {
        written.put((long) record.pid(), record);
    }

    @Override
    public void onEvent(Event event) {
        if (event instanceof Event.WorkerReady ready) {
            WorkerRecord record = written.computeIfPresent(ready.pid(), (pid, r) -> r.withReady());
            if (record != null) {
                write(record);
            }
        } else if (event instanceof Event.WorkerExited exited) {
            written.remove(exited.pid());
            try {
                Files.deleteIfExists(file(exited.pid()));
            } catch (IOException e) {
                log.warn("event=state.record_error dir={} error=\"{}\"", dir, e.getMessage());
            }
        }
    }

    private void write(WorkerRecord record) {
        try {
            StateFiles.replace(file(record.pid()), ControlJson.write(record) + "\n");
        } catch (IOException | RuntimeException e) {
            // adoption after a crash of the master needs it; the worker itself does not
            log.warn("event=state.record_error dir={} error=\"{}\"", dir, e.getMessage());
        }
    }

    private Path file(long pid) {
        return dir.resolve(Long.toString(pid));
    }

    private static Orphan aliveOrNull(Path file, List<String> stale) {
        String name = file.getFileName().toString();
        if (!name.matches("[1-9][0-9]{0,9}")) {
            return null; // a temporary file of a write cut short, or something that is not ours
        }
        try {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || Files.size(file) > MAX_RECORD_BYTES) {
                stale.add(name + " (not a worker record)");
                return null;
            }
            int pid = Integer.parseInt(name);
            WorkerRecord record = ControlJson.convert(ControlJson.parse(Files.readString(file, StandardCharsets.UTF_8)),
                    WorkerRecord.class);
            OptionalLong started = ProcFs.startTime(pid);
            if (started.isEmpty()) {
                stale.add("pid " + pid + " (gone)");
                return null;
            }
            if (record.pid() != pid || started.getAsLong() != record.start()) {
                stale.add("pid " + pid + " (now another process: started at " + started.getAsLong()
                        + " ticks, the worker at " + record.start() + ")");
                return null;
            }
            String invalid = invalid(record);
            if (invalid != null) {
                stale.add("pid " + pid + " (a record that is not one of Herd's: " + invalid + ")");
                return null;
            }
            return new Orphan(pid, record.slot(), record.generation(), record);
        } catch (IOException | RuntimeException e) {
            stale.add(name + " (unreadable: " + e.getMessage() + ")");
            return null;
        }
    }

    /** What is wrong with a record's fields, or null when every one is in range. */
    static String invalid(WorkerRecord r) {
        if (r.slot() < 0 || r.slot() >= dev.herd.ClusterSpec.MAX_WORKERS) {
            return "slot " + r.slot();
        }
        if (r.generation() < 1) {
            return "generation " + r.generation();
        }
        if (r.argv() == null || r.argv().isEmpty()) {
            return "no command";
        }
        if (r.port() < 0 || r.port() > 65535) {
            return "port " + r.port();
        }
        if (r.sequence() < 0) {
            return "sequence " + r.sequence();
        }
        try {
            java.time.Instant.parse(String.valueOf(r.spawned()));
        } catch (java.time.format.DateTimeParseException e) {
            return "spawned '" + r.spawned() + "'";
        }
        return null;
    }

}
