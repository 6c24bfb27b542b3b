package dev.herd.logs;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
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
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
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
    /** The cadence when the spool directory cannot be watched (no inotify instance left, say). */
    static final Duration POLL = Duration.ofMillis(100);
    /** With a watch, a copy runs on every change; this only bounds the delay should an event ever be missed. */
    static final Duration IDLE_CHECK = Duration.ofSeconds(1);
    static final int FOLLOW_QUEUE = 10_000;
    private static final Pattern SPOOL_NAME = Pattern.compile("worker-(\\d{1,4})\\.out");

    private final Path logDir;
    private final Path spoolDir;
    private final long maxBytes;
    private final int keep;
    private final Map<Integer, SlotLog> slots = new TreeMap<>();
    private final Set<LiveFeed<Line>> followers = new CopyOnWriteArraySet<>();
    private final Thread poller;
    /** Released by every change in the spool directory and by {@link #workerExited}: something to copy. */
    private final Semaphore changed = new Semaphore(0);
    private WatchService watch;
    /** How long the copier sleeps without a change: {@link #IDLE_CHECK} while watching, else {@link #POLL}. */
    private volatile Duration period = POLL;
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
        changed.release();
    }

    /**
     * Starts copying: whenever a worker writes to its spool (an inotify watch on the spool directory, so an idle
     * cluster costs no CPU here), or every {@link #POLL} where the directory cannot be watched.
     */
    public void start() {
        try {
            watch = spoolDir.getFileSystem().newWatchService();
            spoolDir.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
            period = IDLE_CHECK;
            Thread.ofPlatform().daemon().name("herd-logs-watch").start(this::watchLoop);
        } catch (IOException | UnsupportedOperationException e) {
            log.warn("event=logs.watch_unavailable dir={} poll_ms={} error=\"{}\"", spoolDir, POLL.toMillis(), e.getMessage());
            period = POLL;
            closeWatch();
        }
        poller.start();
    }

    private void pollLoop() {
        while (!closed) {
            changed.drainPermits(); // what happened so far is copied by this pass
            boolean flush = flushRequested;
            flushRequested = false;
            pollAll(flush);
            try {
                // a cadence, not a synchronisation: a change or an exit wakes this at once
                changed.tryAcquire(period.toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                return; // close() copies the rest itself
            }
        }
    }

    /** Turns the directory's change events into wake-ups of the copier. */
    private void watchLoop() {
        WatchService service = watch;
        try {
            while (!closed) {
                WatchKey key = service.take();
                key.pollEvents(); // what changed does not matter: the copier looks at every spool
                changed.release();
                if (!key.reset()) {
                    log.warn("event=logs.watch_lost dir={} poll_ms={}", spoolDir, POLL.toMillis());
                    period = POLL;
                    return;
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closing
        }
    }

    private void closeWatch() {
        WatchService service = watch;
        if (service != null) {
            try {
                service.close();
            } catch (IOException e) {
                // closing anyway
            }
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
        closeWatch();
        changed.release(); // the copier leaves its loop; the rest is copied below (no interrupt: it would close the files)
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
