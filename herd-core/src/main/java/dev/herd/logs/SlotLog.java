package dev.herd.logs;

import dev.herd.os.NativeException;
import dev.herd.os.SpoolFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One slot's log: copies complete lines from the spool its workers append to into {@code worker-SLOT.log},
 * rotating that by size ({@code .1} is the newest rotated file), remembers how far it got (so a restarted master
 * resumes there: nothing lost, nothing twice), and gives the copied part of the spool back to the filesystem.
 *
 * <p>A line is written to the log whole or not at all: when a write fails (a full disk), what part of it landed is
 * cut off the log again and the line stays in the spool, to be copied by a later {@link #poll}. The spool keeps
 * {@link #RESERVE} bytes allocated ahead of its end, so workers' lines keep landing whole in it while the disk is
 * full. Its files are open only while there is something to copy: after {@link #IDLE_CLOSE} without new output
 * they are closed, and opened again when the spool grows. Used by one thread at a time ({@link WorkerLogs}
 * synchronises).
 */
final class SlotLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SlotLog.class);
    /** A line longer than this is passed on in pieces of this size rather than buffered without end. */
    static final int MAX_LINE = 64 * 1024;
    /** Starts every piece of a long line after the first, so that a reader can join them again. */
    static final String CONTINUED = "[continued] ";
    /** Space kept allocated past the spool's end: what workers can still write while the disk is full. */
    static final long RESERVE = 32 * 1024;
    /** Files of a slot whose workers wrote nothing for this long are closed (reopened when the spool grows). */
    static final long IDLE_CLOSE_NANOS = 5_000_000_000L;
    private static final byte[] CONTINUED_BYTES = CONTINUED.getBytes(StandardCharsets.US_ASCII);
    private static final int CHUNK = 64 * 1024;
    private static final int BATCH = 256 * 1024;

    /**
     * What one copy pass works in, kept between passes so that copying allocates little: one per {@link WorkerLogs},
     * shared by its slots, which it copies one at a time (a slot of its own each cost the master a quarter of a MB of
     * heap per worker, touched once and kept). Everything in it is reset at the start of a pass.
     */
    static final class Scratch {
        final ByteBuffer chunk = ByteBuffer.allocate(CHUNK);
        final ByteArrayOutputStream partial = new ByteArrayOutputStream();
        final ByteArrayOutputStream batch = new ByteArrayOutputStream();
        final List<String> batchLines = new ArrayList<>();
    }

    final int slot;
    private final Path spoolPath;
    private final Path offsetPath;
    private final Path logPath;
    private final long maxBytes;
    private final int keep;
    private final ByteBuffer buffer;
    private final ByteArrayOutputStream partial;
    private final ByteArrayOutputStream batch;
    private final List<String> batchLines;
    /** Null while the slot is idle and its files closed. */
    private FileChannel spool;
    private SpoolFile releaser;
    private FileChannel out;
    private long logSize;
    /** Every spool byte before this is in the log. */
    private long committed;
    /**
     * The offset last saved: a restarted master resumes there, so no hole is punched beyond it (what lies between it
     * and {@link #committed} is read again after a restart: copied twice, never lost or read as a hole's zeros).
     */
    private long saved;
    private long released;
    /** The next piece continues a line longer than {@link #MAX_LINE} (as of {@link #committed}). */
    private boolean continuing;
    /** While scanning: the same, for the lines read so far; at {@link #batchEnd}: for the batch. */
    private boolean scanContinuing;
    private boolean batchContinuing;
    private long batchEnd;
    /** A line unfinished at this spool position ends there (its writer exited or a full disk cut its write); -1: none. */
    private long endLineAt = -1;
    private boolean cannotRelease;
    private boolean cannotReserve;
    /** The spool size the reserve was last extended from, and whether that worked. */
    private long reservedFrom = -1;
    private boolean reserveHeld;
    private boolean offsetUnsaved;
    private long lastOutputNanos = System.nanoTime();

    SlotLog(int slot, Path spoolPath, Path logDir, long maxBytes, int keep, Scratch scratch) throws IOException {
        this.slot = slot;
        this.buffer = scratch.chunk;
        this.partial = scratch.partial;
        this.batch = scratch.batch;
        this.batchLines = scratch.batchLines;
        this.spoolPath = spoolPath;
        this.offsetPath = spoolPath.resolveSibling(spoolPath.getFileName() + ".offset");
        this.logPath = logDir.resolve(WorkerLogs.logName(slot));
        this.maxBytes = maxBytes;
        this.keep = keep;
        openFiles();
        this.committed = readOffset();
        this.saved = committed;
        this.released = committed / SpoolFile.BLOCK * SpoolFile.BLOCK;
    }

    private long readOffset() throws IOException {
        try {
            long saved = Long.parseLong(LogFiles.read(offsetPath).trim());
            return saved >= 0 && saved <= spool.size() ? saved : 0;
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException | NumberFormatException e) {
            log.warn("event=logs.offset_unreadable slot={} path={} error=\"{}\"", slot, offsetPath, e.getMessage());
            return 0;
        }
    }

    private void openFiles() throws IOException {
        try {
            spool = LogFiles.openReadWrite(spoolPath);
            releaser = SpoolFile.open(spoolPath);
            openLog();
        } catch (NativeException e) {
            closeFiles();
            throw new IOException(e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            closeFiles();
            throw e;
        }
    }

    private void openLog() throws IOException {
        out = LogFiles.openAppend(logPath);
        logSize = out.size();
    }

    /** Whether the slot's files are open (they are closed while it is idle). */
    boolean isOpen() {
        return spool != null;
    }

    /** The worker that wrote up to the spool's current end exited: a line it left unfinished ends there. */
    void endLineAtSpoolEnd() throws IOException {
        long size = spoolSize();
        if (size > committed) {
            endLineAt = size;
        }
    }

    /**
     * Copies what the workers appended since the last call; each complete line also goes to {@code lines} once it
     * is in the log. With {@code endAll} a last line without its newline is copied too (no one writes any more).
     *
     * @throws IOException when the log cannot be written (the lines not written stay in the spool for the next call)
     */
    void poll(Consumer<String> lines, boolean endAll) throws IOException {
        if (spool == null) {
            if (spoolSize() == committed && endLineAt < 0) {
                return; // idle, files closed: a stat, no open
            }
            openFiles();
        }
        long size = spool.size();
        if (size < committed) {
            log.warn("event=logs.spool_shrank slot={} path={} size={} offset={}", slot, spoolPath, size, committed);
            committed = 0;
            saved = 0;
            released = 0;
            continuing = false;
        }
        // fallocate(2) reports a change of the file to inotify even when it allocates nothing, and that change
        // wakes this copier: extending the reserve only when the spool grew (or the last try failed) keeps an
        // idle spool from waking its copier forever
        if (size != reservedFrom || !reserveHeld) {
            reserveHeld = reserve(size);
            reservedFrom = size;
        }
        boolean diskFull = !reserveHeld;
        if (size > committed) {
            lastOutputNanos = System.nanoTime();
        }
        if (endLineAt >= 0 && endLineAt <= committed) {
            endLineAt = -1;
        }
        if (diskFull && endLineAt < 0 && size > committed && size % SpoolFile.BLOCK == 0 && lastByte(size) != '\n') {
            // a worker's write that ran out of space stops at a block boundary: end its line there, so that
            // what it writes once there is space again is not glued to it
            endLineAt = size;
            log.warn("event=logs.line_cut slot={} path={} at={} reason=\"the disk is full: a worker's write stopped part-way\"",
                    slot, spoolPath, size);
        }
        long before = committed;
        try {
            copy(size, lines, endAll);
        } finally {
            if (committed != before) {
                saveOffset();
                release();
            }
        }
    }

    private int lastByte(long size) throws IOException {
        ByteBuffer one = ByteBuffer.allocate(1);
        return spool.read(one, size - 1) == 1 ? one.get(0) : -1;
    }

    /** Reads the spool from {@link #committed} to {@code size} and writes the lines in it to the log. */
    private void copy(long size, Consumer<String> lines, boolean endAll) throws IOException {
        partial.reset();
        batch.reset();
        batchLines.clear();
        batchEnd = committed;
        scanContinuing = continuing;
        long pos = committed;
        while (pos < size) {
            buffer.clear();
            buffer.limit((int) Math.min(CHUNK, size - pos));
            int n = spool.read(buffer, pos);
            if (n <= 0) {
                break;
            }
            byte[] bytes = buffer.array();
            int start = 0;
            for (int i = 0; i < n; i++) {
                long after = pos + i + 1;
                if (bytes[i] == '\n') {
                    partial.write(bytes, start, i + 1 - start);
                    start = i + 1;
                    line(after, false, lines);
                    continue;
                }
                if (partial.size() + (i - start) >= MAX_LINE) {
                    // a byte beyond MAX_LINE: the piece so far goes on, this byte starts the next (a line of
                    // exactly MAX_LINE bytes is not cut: its newline may be next)
                    partial.write(bytes, start, i - start);
                    partial.write('\n');
                    start = i;
                    line(after - 1, true, lines);
                }
                if (after == endLineAt) {
                    partial.write(bytes, start, i + 1 - start);
                    partial.write('\n');
                    start = i + 1;
                    line(after, false, lines);
                }
            }
            partial.write(bytes, start, n - start);
            pos += n;
        }
        if (endAll && partial.size() > 0) {
            partial.write('\n');
            line(pos, false, lines);
        }
        flushBatch(lines);
    }

    /** Adds the line in {@link #partial} (ending at spool position {@code after}) to the batch to write. */
    private void line(long after, boolean cutForLength, Consumer<String> lines) throws IOException {
        byte[] raw = partial.toByteArray();
        partial.reset();
        int length = raw.length + (scanContinuing ? CONTINUED_BYTES.length : 0);
        long pending = logSize + batch.size();
        if (pending > 0 && pending + length > maxBytes) {
            flushBatch(lines);
            rotate();
        }
        String text = new String(raw, 0, raw.length - 1, StandardCharsets.UTF_8);
        if (scanContinuing) {
            batch.write(CONTINUED_BYTES);
            text = CONTINUED + text;
        }
        batch.write(raw);
        batchLines.add(text);
        batchEnd = after;
        scanContinuing = cutForLength;
        batchContinuing = cutForLength;
        if (batch.size() >= BATCH) {
            flushBatch(lines);
        }
    }

    /**
     * Writes the batch to the log in one go; only then do its lines count as copied and go to {@code lines}. A
     * failed write is cut off the log again, so no line is ever left half in it.
     */
    private void flushBatch(Consumer<String> lines) throws IOException {
        if (batch.size() == 0) {
            return;
        }
        if (out == null) {
            openLog();
        }
        if (out.size() != logSize) {
            out.truncate(logSize); // a failed write's part, should the last cut-off have failed too
        }
        ByteBuffer data = ByteBuffer.wrap(batch.toByteArray());
        try {
            while (data.hasRemaining()) {
                out.write(data);
            }
        } catch (IOException e) {
            try {
                out.truncate(logSize);
            } catch (IOException again) {
                e.addSuppressed(again);
            }
            throw new IOException("cannot write " + logPath + ": " + e.getMessage()
                    + "; its lines stay in " + spoolPath + " and are copied once it can be written", e);
        }
        logSize += data.limit();
        committed = batchEnd;
        continuing = batchContinuing;
        batch.reset();
        batchLines.forEach(lines);
        batchLines.clear();
    }

    /** worker-N.log becomes .1, .1 becomes .2 ...; the oldest beyond {@code keep} is deleted. */
    private void rotate() throws IOException {
        if (out != null) { // null when the last rotation failed part-way (it is tried again now)
            out.close();
            out = null;
        }
        Files.deleteIfExists(rotated(keep)); // a link planted there is removed, not followed
        for (int i = keep - 1; i >= 1; i--) {
            if (Files.exists(rotated(i), LinkOption.NOFOLLOW_LINKS)) {
                Files.move(rotated(i), rotated(i + 1), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        if (keep >= 1) {
            Files.move(logPath, rotated(1), StandardCopyOption.REPLACE_EXISTING);
        } else {
            Files.delete(logPath);
        }
        openLog();
        log.info("event=logs.rotated slot={} path={} keep={}", slot, logPath, keep);
    }

    Path rotated(int i) {
        return logPath.resolveSibling(logPath.getFileName() + "." + i);
    }

    Path logPath() {
        return logPath;
    }

    /**
     * Keeps {@link #RESERVE} bytes allocated past the spool's end. Returns false when the disk is full (the
     * reserve could not be extended).
     */
    private boolean reserve(long size) {
        if (cannotReserve) {
            return true;
        }
        try {
            boolean reserved = releaser.reserve(size, RESERVE);
            if (!reserved && Files.getFileStore(spoolPath).getUsableSpace() > RESERVE) {
                cannotReserve = true; // not a full disk: the filesystem cannot preallocate
                log.warn("event=logs.cannot_reserve slot={} path={} reason=\"the filesystem cannot preallocate; workers' writes fail as soon as the disk is full\"",
                        slot, spoolPath);
                return true;
            }
            return reserved;
        } catch (NativeException | IOException e) {
            cannotReserve = true;
            log.warn("event=logs.cannot_reserve slot={} path={} error=\"{}\"", slot, spoolPath, e.getMessage());
            return true;
        }
    }

    /** Not before the lines are in the log: a crash in between copies them twice rather than losing them. */
    private void saveOffset() {
        Path temp = offsetPath.resolveSibling(offsetPath.getFileName() + ".tmp");
        try {
            LogFiles.writeNew(temp, Long.toString(committed));
            Files.move(temp, offsetPath, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            saved = committed;
            offsetUnsaved = false;
        } catch (IOException e) {
            // the lines are in the log and the position is known here; only a restart meanwhile copies some twice
            if (!offsetUnsaved) {
                log.warn("event=logs.offset_unsaved slot={} path={} error=\"{}\"", slot, offsetPath, e.getMessage());
            }
            offsetUnsaved = true;
        }
    }

    private void release() {
        if (cannotRelease) {
            return;
        }
        long upTo = saved / SpoolFile.BLOCK * SpoolFile.BLOCK;
        if (upTo <= released) {
            return;
        }
        try {
            if (!releaser.release(released, upTo)) {
                cannotRelease = true;
                log.warn("event=logs.cannot_release slot={} path={} reason=\"the filesystem cannot punch holes; the spool keeps its space\"",
                        slot, spoolPath);
                return;
            }
            released = upTo;
        } catch (NativeException e) {
            cannotRelease = true;
            log.warn("event=logs.cannot_release slot={} path={} error=\"{}\"", slot, spoolPath, e.getMessage());
        }
    }

    private long spoolSize() throws IOException {
        try {
            return Files.readAttributes(spoolPath, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).size();
        } catch (NoSuchFileException e) {
            return 0;
        }
    }

    /** Closes the files when everything is copied and the workers wrote nothing for {@link #IDLE_CLOSE_NANOS}. */
    void closeIfIdle(long nowNanos) throws IOException {
        if (spool != null && nowNanos - lastOutputNanos >= IDLE_CLOSE_NANOS && spool.size() == committed && endLineAt < 0) {
            closeFiles();
        }
    }

    private void closeFiles() {
        try {
            if (out != null) {
                out.close();
            }
            if (spool != null) {
                spool.close();
            }
        } catch (IOException e) {
            log.warn("event=logs.close_failed slot={} error=\"{}\"", slot, e.getMessage());
        }
        if (releaser != null) {
            releaser.close();
        }
        out = null;
        spool = null;
        releaser = null;
    }

    @Override
    public void close() {
        closeFiles();
    }
}
