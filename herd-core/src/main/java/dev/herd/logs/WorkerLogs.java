package dev.herd.logs;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The workers' logs. A worker's stdout and stderr go straight to a file, its slot's spool
 * ({@code LOG-DIR/.spool/worker-SLOT.out}, appended; no pipe to the master, so a worker outlives a dead master),
 * and a thread of the master copies each new complete line from there into {@code worker-SLOT.log}, rotated by
 * size, hands it to live followers ({@code herd logs -f}) and gives the spool's copied part back to the disk.
 * Rotation loses no line: the master writes whole lines, and the workers never need to reopen anything.
 */
public final class WorkerLogs implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WorkerLogs.class);
    static final Duration POLL = Duration.ofMillis(100);
    static final int FOLLOW_QUEUE = 10_000;
    private static final Pattern SPOOL_NAME = Pattern.compile("worker-(\\d{1,4})\\.out");

    private final Path logDir;
    private final Path spoolDir;
    private final long maxBytes;
    private final int keep;
    private final Map<Integer, SlotLog> slots = new TreeMap<>();
    private final Set<LiveFeed<Line>> followers = new CopyOnWriteArraySet<>();
    private final Thread poller;
    private volatile boolean closed;
    private volatile boolean flushRequested;

    /**
     * @param maxBytes a log file is rotated before it would grow beyond this
     * @param keep     rotated files kept per slot ({@code .1} newest); older ones are deleted
     */
    public WorkerLogs(Path logDir, long maxBytes, int keep) {
        this.logDir = logDir;
        this.spoolDir = logDir.resolve(".spool");
        this.maxBytes = maxBytes;
        this.keep = keep;
        try {
            if (!Files.isDirectory(spoolDir)) {
                Files.createDirectories(spoolDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + spoolDir, e);
        }
        poller = Thread.ofPlatform().daemon().name("herd-logs").unstarted(this::pollLoop);
    }

    static String logName(int slot) {
        return "worker-" + slot + ".log";
    }

    /** Where a worker of this slot appends its output. */
    public static Path spoolFor(Path logDir, int slot) {
        return logDir.resolve(".spool").resolve("worker-" + slot + ".out");
    }

    /** A worker exited: copy its last lines now, an unfinished last line too. */
    public void workerExited() {
        flushRequested = true;
        java.util.concurrent.locks.LockSupport.unpark(poller);
    }

    /** Starts copying, every {@link #POLL}. */
    public void start() {
        poller.start();
    }

    private void pollLoop() {
        while (!closed) {
            boolean flush = flushRequested;
            flushRequested = false;
            pollAll(flush);
            // a cadence, not a synchronisation: new lines are copied within one period, or at once after an exit
            java.util.concurrent.locks.LockSupport.parkNanos(POLL.toNanos());
        }
    }

    /** Copies what is new in every slot's spool now (with {@code flushPartial}, unfinished last lines too). */
    public synchronized void pollAll(boolean flushPartial) {
        discoverSpools();
        for (SlotLog slot : slots.values()) {
            try {
                slot.poll(line -> deliver(slot.slot, line), flushPartial);
            } catch (IOException e) {
                log.warn("event=logs.copy_failed slot={} error=\"{}\"", slot.slot, e.getMessage());
            }
        }
    }

    private void discoverSpools() {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(spoolDir, "worker-*.out")) {
            for (Path file : files) {
                Matcher name = SPOOL_NAME.matcher(file.getFileName().toString());
                if (name.matches()) {
                    int slot = Integer.parseInt(name.group(1));
                    if (!slots.containsKey(slot)) {
                        slots.put(slot, new SlotLog(slot, file, logDir, maxBytes, keep));
                    }
                }
            }
        } catch (IOException e) {
            log.warn("event=logs.scan_failed dir={} error=\"{}\"", spoolDir, e.getMessage());
        }
    }

    private void deliver(int slot, String line) {
        for (LiveFeed<Line> feed : followers) {
            Follower follower = (Follower) feed;
            if (follower.slot < 0 || follower.slot == slot) {
                follower.offer(new Line(slot, line));
            }
        }
    }

    /** The slots that have a log. */
    public synchronized Set<Integer> slots() {
        discoverSpools();
        return new TreeSet<>(slots.keySet());
    }

    /** One line of a worker's output. */
    public record Line(int slot, String text) {
    }

    /** The last {@code count} lines of a slot's log (across its rotated files), oldest first. */
    public synchronized List<String> tail(int slot, int count) throws IOException {
        SlotLog slotLog = slots.get(slot);
        Deque<String> lines = new ArrayDeque<>();
        if (slotLog == null) {
            return List.of();
        }
        List<Path> files = new ArrayList<>();
        files.add(slotLog.logPath());
        for (int i = 1; i <= keep; i++) {
            files.add(slotLog.rotated(i));
        }
        for (Path file : files) {
            if (lines.size() >= count || !Files.exists(file)) {
                break;
            }
            List<String> fromFile = lastLines(file, count - lines.size());
            for (int i = fromFile.size() - 1; i >= 0; i--) {
                lines.addFirst(fromFile.get(i));
            }
        }
        return List.copyOf(lines);
    }

    /** Reads backwards from the end until {@code count} lines are found. */
    static List<String> lastLines(Path file, int count) throws IOException {
        try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
            long end = in.length();
            long pos = end;
            int newlines = 0;
            byte[] chunk = new byte[8192];
            while (pos > 0 && newlines <= count) {
                int n = (int) Math.min(chunk.length, pos);
                pos -= n;
                in.seek(pos);
                in.readFully(chunk, 0, n);
                for (int i = n - 1; i >= 0; i--) {
                    if (chunk[i] == '\n' && pos + i != end - 1 && ++newlines == count) {
                        pos += i + 1;
                        break;
                    }
                }
                if (newlines == count) {
                    break;
                }
            }
            byte[] bytes = new byte[(int) (end - pos)];
            in.seek(pos);
            in.readFully(bytes);
            String text = new String(bytes, StandardCharsets.UTF_8);
            if (text.isEmpty()) {
                return List.of();
            }
            List<String> lines = List.of(text.split("\n", -1));
            lines = text.endsWith("\n") ? lines.subList(0, lines.size() - 1) : lines;
            return lines.subList(Math.max(0, lines.size() - count), lines.size());
        }
    }

    /** Live lines of one slot, or of every slot with {@code slot} -1, from now on. */
    public Follower follow(int slot) {
        Follower follower = new Follower(this, slot);
        if (closed) {
            follower.end();
        } else {
            followers.add(follower);
        }
        return follower;
    }

    /** A reader of live lines (of one slot, or of all with slot -1); close it when done. */
    public static final class Follower extends LiveFeed<Line> {
        private static final Line END = new Line(-1, "");
        private final int slot;

        private Follower(WorkerLogs logs, int slot) {
            super(END, logs.followers, FOLLOW_QUEUE);
            this.slot = slot;
        }
    }

    /** Copies what is left (unfinished lines too) and stops; followers' streams end. */
    @Override
    public void close() {
        closed = true;
        poller.interrupt();
        try {
            poller.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            pollAll(true);
            slots.values().forEach(SlotLog::close);
        }
        followers.forEach(LiveFeed::end);
        followers.clear();
    }
}
