package dev.herd.logs;

import dev.herd.os.NativeException;
import dev.herd.os.SpoolFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;

/**
 * One slot's log: copies complete lines from the spool its workers append to into {@code worker-SLOT.log},
 * rotating that by size ({@code .1} is the newest rotated file), remembers how far it got (so a restarted master
 * resumes there: nothing lost, nothing twice), and gives the copied part of the spool back to the filesystem.
 * Used by one thread at a time ({@link WorkerLogs} synchronises).
 */
final class SlotLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SlotLog.class);
    /** A line longer than this is passed on in pieces of this size rather than buffered without end. */
    static final int MAX_LINE = 64 * 1024;
    private static final int CHUNK = 256 * 1024;

    final int slot;
    private final Path spoolPath;
    private final Path offsetPath;
    private final Path logPath;
    private final long maxBytes;
    private final int keep;
    private final FileChannel spool;
    private final SpoolFile releaser;
    private final ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private OutputStream out;
    private long logSize;
    private long offset;
    private long released;
    private boolean cannotRelease;

    SlotLog(int slot, Path spoolPath, Path logDir, long maxBytes, int keep) throws IOException {
        this.slot = slot;
        this.spoolPath = spoolPath;
        this.offsetPath = spoolPath.resolveSibling(spoolPath.getFileName() + ".offset");
        this.logPath = logDir.resolve(WorkerLogs.logName(slot));
        this.maxBytes = maxBytes;
        this.keep = keep;
        this.spool = FileChannel.open(spoolPath, StandardOpenOption.READ, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        this.releaser = SpoolFile.open(spoolPath);
        this.offset = readOffset();
        this.released = offset / SpoolFile.BLOCK * SpoolFile.BLOCK;
        openLog();
    }

    private long readOffset() {
        try {
            long saved = Long.parseLong(Files.readString(offsetPath).trim());
            return saved >= 0 && saved <= spool.size() ? saved : 0;
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException | NumberFormatException e) {
            log.warn("event=logs.offset_unreadable slot={} path={} error=\"{}\"", slot, offsetPath, e.getMessage());
            return 0;
        }
    }

    private void openLog() throws IOException {
        out = Files.newOutputStream(logPath, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        logSize = Files.size(logPath);
    }

    /**
     * Copies what the workers appended since the last call; each complete line also goes to {@code lines}. With
     * {@code flushPartial} a last line without its newline is passed on too (its writer has exited).
     */
    void poll(Consumer<String> lines, boolean flushPartial) throws IOException {
        long size = spool.size();
        if (size < offset) {
            log.warn("event=logs.spool_shrank slot={} path={} size={} offset={}", slot, spoolPath, size, offset);
            offset = 0;
            released = 0;
        }
        boolean copied = false;
        while (offset < size) {
            buffer.clear();
            int n = spool.read(buffer, offset);
            if (n <= 0) {
                break;
            }
            offset += n;
            copied = true;
            byte[] bytes = buffer.array();
            int start = 0;
            for (int i = 0; i < n; i++) {
                if (bytes[i] == '\n') {
                    partial.write(bytes, start, i + 1 - start);
                    emit(lines);
                    start = i + 1;
                } else if (partial.size() + (i + 1 - start) >= MAX_LINE) {
                    partial.write(bytes, start, i + 1 - start);
                    partial.write('\n');
                    emit(lines);
                    start = i + 1;
                }
            }
            partial.write(bytes, start, n - start);
        }
        if (flushPartial && partial.size() > 0) {
            partial.write('\n');
            emit(lines);
        }
        if (copied) {
            out.flush();
            saveOffset();
            release();
        }
    }

    /** Writes the buffered line to the log (rotating first when it would not fit) and hands it on. */
    private void emit(Consumer<String> lines) throws IOException {
        byte[] line = partial.toByteArray();
        partial.reset();
        if (logSize > 0 && logSize + line.length > maxBytes) {
            rotate();
        }
        out.write(line);
        logSize += line.length;
        lines.accept(new String(line, 0, line.length - 1, StandardCharsets.UTF_8));
    }

    /** worker-N.log becomes .1, .1 becomes .2 ...; the oldest beyond {@code keep} is deleted. */
    private void rotate() throws IOException {
        out.close();
        Files.deleteIfExists(rotated(keep));
        for (int i = keep - 1; i >= 1; i--) {
            if (Files.exists(rotated(i))) {
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

    /** Not before the lines are in the log: a crash in between copies them twice rather than losing them. */
    private void saveOffset() throws IOException {
        Path temp = offsetPath.resolveSibling(offsetPath.getFileName() + ".tmp");
        Files.writeString(temp, Long.toString(offset - partial.size()));
        Files.move(temp, offsetPath, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private void release() {
        if (cannotRelease) {
            return;
        }
        long upTo = (offset - partial.size()) / SpoolFile.BLOCK * SpoolFile.BLOCK;
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

    @Override
    public void close() {
        try {
            out.close();
            spool.close();
        } catch (IOException e) {
            log.warn("event=logs.close_failed slot={} error=\"{}\"", slot, e.getMessage());
        }
        releaser.close();
    }
}
