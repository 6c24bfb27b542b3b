package dev.herd.logs;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
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
    /** Slots whose worker exited: a line it left unfinished ends where it stopped. */
    private final Set<Integer> exitedWriters = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Slots whose log cannot be written now, with why; their lines wait in the spool. */
    private final Map<Integer, String> failing = new java.util.concurrent.ConcurrentSkipListMap<>();
    /** Spools that could not be opened, so that each is reported once rather than on every pass. */
    private final Set<Path> unopenable = new java.util.HashSet<>();
    private volatile java.util.function.Consumer<dev.herd.Event> events =
            event -> log.warn("event={} fields={}", event.name(), event.fields());

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

    /**
     * Makes sure the spool a worker is about to append to is a regular file of its own: a link planted there is
     * removed (never followed) and a new file created. The worker then opens it with O_NOFOLLOW.
     *
     * @throws UncheckedIOException when it cannot be made so
     */
    public static void prepareSpool(Path spool) {
        try {
            LogFiles.ensureRegular(spool);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the worker's log spool " + spool + ": " + e.getMessage(), e);
        }
    }

    /** A worker of the slot exited: copy its last lines now, an unfinished last line too. */
    public void workerExited(int slot) {
        exitedWriters.add(slot);
        changed.release();
    }

    /** Where {@code logs.failing} and {@code logs.recovered} events go (called on the copier's thread). */
    public void reportTo(java.util.function.Consumer<dev.herd.Event> sink) {
        this.events = sink;
    }

    /** The slots whose log cannot be written now, with why (their lines wait in the spool); empty when all is well. */
    public Map<Integer, String> failing() {
        return Map.copyOf(failing);
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
            pollAll(false);
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

    /**
     * Copies what is new in every slot's spool now (with {@code endAll}, unfinished last lines too). A slot whose
     * log cannot be written is tried again on the next pass (at least every {@link #IDLE_CHECK}), with or without
     * new output.
     */
    public synchronized void pollAll(boolean endAll) {
        discoverSpools();
        long now = System.nanoTime();
        for (SlotLog slot : slots.values()) {
            try {
                if (exitedWriters.remove(slot.slot)) {
                    slot.endLineAtSpoolEnd();
                }
                slot.poll(line -> deliver(slot.slot, line), endAll);
                slot.closeIfIdle(now);
                if (failing.remove(slot.slot) != null) {
                    events.accept(new dev.herd.Event.LogsRecovered(java.time.Instant.now(), slot.slot));
                }
            } catch (IOException e) {
                String error = String.valueOf(e.getMessage());
                if (failing.put(slot.slot, error) == null) {
                    events.accept(new dev.herd.Event.LogsFailing(java.time.Instant.now(), slot.slot, error));
                }
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
                        open(slot, file);
                    }
                }
            }
        } catch (IOException e) {
            log.warn("event=logs.scan_failed dir={} error=\"{}\"", spoolDir, e.getMessage());
        }
    }

    private void open(int slot, Path spool) {
        try {
            slots.put(slot, new SlotLog(slot, spool, logDir, maxBytes, keep));
            unopenable.remove(spool);
        } catch (IOException e) {
            if (unopenable.add(spool)) {
                log.warn("event=logs.open_failed slot={} path={} error=\"{}\"", slot, spool, e.getMessage());
            }
            String error = String.valueOf(e.getMessage());
            if (failing.put(slot, error) == null) {
                events.accept(new dev.herd.Event.LogsFailing(java.time.Instant.now(), slot, error));
            }
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

    /** The slot's copier, null when it has no spool (for tests). */
    synchronized SlotLog slotLog(int slot) {
        return slots.get(slot);
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
            if (lines.size() >= count) {
                break;
            }
            List<String> fromFile;
            try (FileChannel in = LogFiles.openRead(file)) {
                if (in == null) {
                    break;
                }
                fromFile = lastLines(in, count - lines.size());
            }
            for (int i = fromFile.size() - 1; i >= 0; i--) {
                lines.addFirst(fromFile.get(i));
            }
        }
        return List.copyOf(lines);
    }

    /** Reads backwards from the end until {@code count} lines are found. */
    static List<String> lastLines(Path file, int count) throws IOException {
        try (FileChannel in = LogFiles.openRead(file)) {
            return in == null ? List.of() : lastLines(in, count);
        }
    }

    private static List<String> lastLines(FileChannel in, int count) throws IOException {
        {
            long end = in.size();
            long pos = end;
            int newlines = 0;
            byte[] chunk = new byte[8192];
            while (pos > 0 && newlines <= count) {
                int n = (int) Math.min(chunk.length, pos);
                pos -= n;
                readFully(in, pos, chunk, n);
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
            readFully(in, pos, bytes, bytes.length);
            String text = new String(bytes, StandardCharsets.UTF_8);
            if (text.isEmpty()) {
                return List.of();
            }
            List<String> lines = List.of(text.split("\n", -1));
            lines = text.endsWith("\n") ? lines.subList(0, lines.size() - 1) : lines;
            return lines.subList(Math.max(0, lines.size() - count), lines.size());
        }
    }

    private static void readFully(FileChannel in, long at, byte[] into, int length) throws IOException {
        java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(into, 0, length);
        while (buffer.hasRemaining()) {
            if (in.read(buffer, at + buffer.position()) < 0) {
                throw new java.io.EOFException("the log ended while it was read");
            }
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
            if (poller.getState() != Thread.State.NEW) {
                poller.join(Duration.ofSeconds(5));
            }
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
