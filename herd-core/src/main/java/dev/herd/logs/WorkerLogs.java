package dev.herd.logs;

import dev.herd.os.EventFd;
import dev.herd.os.Inotify;
import dev.herd.os.NativeException;
import dev.herd.os.Poller;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
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
 *
 * <p>That thread ({@code herd-logs}) is the only one: it sleeps in poll(2) on an inotify descriptor watching the spool
 * directory and on an eventfd the other threads use to wake it (a worker's exit, closing). The JDK's
 * {@code WatchService} would add two threads of its own (its poller and one blocked in {@code take()}).
 */
public final class WorkerLogs implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WorkerLogs.class);
    /** The cadence when the spool directory cannot be watched (no inotify instance left, say). */
    static final Duration POLL = Duration.ofMillis(100);
    /**
     * With a watch, a copy runs on every change; while a slot's files are open (they close after
     * {@link SlotLog#IDLE_CLOSE_NANOS} without output) or its log is failing, a pass also runs this often.
     */
    static final Duration IDLE_CHECK = Duration.ofSeconds(1);
    /** With a watch and every slot's files closed, a pass runs at least this often (nothing is due in between). */
    static final Duration QUIET_CHECK = Duration.ofSeconds(30);
    static final int FOLLOW_QUEUE = 10_000;
    private static final Pattern SPOOL_NAME = Pattern.compile("worker-(\\d{1,4})\\.out");

    private final Path logDir;
    private final Path spoolDir;
    private final long maxBytes;
    private final int keep;
    private final Map<Integer, SlotLog> slots = new TreeMap<>();
    /** The slots' copy space: pollAll copies one slot at a time, under this object's lock. */
    private final SlotLog.Scratch scratch = new SlotLog.Scratch();
    private final Set<LiveFeed<Line>> followers = new CopyOnWriteArraySet<>();
    private volatile java.util.function.Consumer<Line> echo;
    private final Thread poller;
    /** Released by {@link #workerExited} and {@link #close}: where there is no eventfd, the copier waits on this. */
    private final Semaphore changed = new Semaphore(0);
    /** Wakes the copier from its poll(2); null where none could be made (the copier then waits on {@link #changed}). */
    private EventFd wake;
    /** The spool directory's changes; null where it cannot be watched (the copier then looks every {@link #POLL}). */
    private volatile Inotify watch;
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
        wakeCopier();
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
            wake = EventFd.open();
        } catch (NativeException e) {
            log.warn("event=logs.wakeup_unavailable error=\"{}\"", e.getMessage());
        }
        try {
            if (wake != null) {
                watch = Inotify.watch(spoolDir, Inotify.IN_CREATE | Inotify.IN_MODIFY);
                period = IDLE_CHECK;
            }
        } catch (NativeException e) {
            log.warn("event=logs.watch_unavailable dir={} poll_ms={} error=\"{}\"", spoolDir, POLL.toMillis(), e.getMessage());
        }
        if (watch == null) {
            period = POLL;
        }
        poller.start();
    }

    private void pollLoop() {
        while (!closed) {
            takeWakeups(); // what happened so far is copied by this pass
            boolean due = pollAll(false);
            // a cadence, not a synchronisation: a change or an exit wakes this at once
            Duration wait = period;
            if (!due && wait == IDLE_CHECK) {
                wait = QUIET_CHECK; // an idle cluster's copier sleeps
            }
            if (!awaitChange(wait)) {
                return; // interrupted: close() copies the rest itself
            }
        }
    }

    /** Waits until something may have changed or {@code timeout} passed; false when interrupted. */
    private boolean awaitChange(Duration timeout) {
        EventFd w = wake;
        if (w == null) {
            try {
                changed.tryAcquire(timeout.toNanos(), TimeUnit.NANOSECONDS);
                return true;
            } catch (InterruptedException e) {
                return false;
            }
        }
        Inotify i = watch;
        int[] fds = i == null ? new int[] {w.fd()} : new int[] {i.fd(), w.fd()};
        try {
            Poller.awaitReadable(fds, (int) timeout.toMillis());
        } catch (NativeException e) {
            // poll(2) failing is no reason to stop copying: look again after the cadence without a watch
            log.warn("event=logs.wait_failed error=\"{}\"", e.getMessage());
            closeWatch();
            period = POLL;
            try {
                Thread.sleep(POLL);
            } catch (InterruptedException interrupted) {
                return false;
            }
        }
        return !Thread.currentThread().isInterrupted();
    }

    /** Resets the wake-ups (eventfd, semaphore, the directory's events) before a pass that looks at everything. */
    private void takeWakeups() {
        changed.drainPermits();
        EventFd w = wake;
        if (w != null) {
            w.drain();
        }
        Inotify i = watch;
        if (i != null && !i.drain()) {
            log.warn("event=logs.watch_lost dir={} poll_ms={}", spoolDir, POLL.toMillis());
            closeWatch();
            period = POLL;
        }
    }

    /** Wakes the copier for a pass now. */
    private void wakeCopier() {
        changed.release();
        EventFd w = wake;
        if (w != null) {
            w.signal();
        }
    }

    private void closeWatch() {
        Inotify i = watch;
        watch = null;
        if (i != null) {
            i.close();
        }
    }

    /**
     * Copies what is new in every slot's spool now (with {@code endAll}, unfinished last lines too). A slot whose
     * log cannot be written is tried again on the next pass (at least every {@link #IDLE_CHECK}), with or without
     * new output.
     *
     * @return whether a later pass has something to do without new output: a slot's files are still open (they close
     * once idle) or its log is failing
     */
    public synchronized boolean pollAll(boolean endAll) {
        discoverSpools();
        long now = System.nanoTime();
        boolean due = false;
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
            due |= slot.isOpen();
        }
        return due || !failing.isEmpty() || !unopenable.isEmpty();
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
            slots.put(slot, new SlotLog(slot, spool, logDir, maxBytes, keep, scratch));
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

    /**
     * Every line, as it is copied to the slot's log, also to {@code echo} (on the copier thread, in order; a slow one
     * holds the copier back, and the lines wait in the spool meanwhile: none is dropped).
     */
    public void echoTo(java.util.function.Consumer<Line> echo) {
        this.echo = echo;
    }

    private void deliver(int slot, String line) {
        java.util.function.Consumer<Line> to = echo;
        if (to != null) {
            to.accept(new Line(slot, line));
        }
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

    /**
     * Runs {@code action} while no line is copied (the copier holds the same lock): a tail read and a follower
     * registered within it see each line exactly once, in the tail or live, never both.
     */
    public synchronized <T> T whileNoLineIsCopied(java.util.function.Supplier<T> action) {
        return action.get();
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
        if (closed) {
            return; // a master that hands over closes its logs before it ends
        }
        closed = true;
        wakeCopier(); // the copier leaves its loop; the rest is copied below (no interrupt: it would close the files)
        try {
            if (poller.getState() != Thread.State.NEW) {
                poller.join(Duration.ofSeconds(5));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!poller.isAlive()) {
            // its descriptors are closed only once it no longer polls them (a closed fd number may be reused)
            closeWatch();
            EventFd w = wake;
            if (w != null) {
                w.close();
            }
        }
        synchronized (this) {
            pollAll(true);
            slots.values().forEach(SlotLog::close);
        }
        followers.forEach(LiveFeed::end);
        followers.clear();
    }
}
