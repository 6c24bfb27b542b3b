package dev.herd.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A file that other processes keep appending to (a worker's output) and this one consumes from the front: what
 * has been consumed is given back to the filesystem by punching a hole over it (fallocate
 * {@code FALLOC_FL_PUNCH_HOLE}), so the disk space stays bounded while the writers never have to reopen anything.
 * The file's size keeps growing (sparse); only the blocks after the consumed part use space.
 */
public final class SpoolFile implements AutoCloseable {
    /** Holes are punched in whole filesystem blocks; this many bytes is one on every common filesystem. */
    public static final long BLOCK = 4096;
    private static final int EOPNOTSUPP = 95;
    private static final int ENOSPC = 28;

    private final int fd;
    private final Path path;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SpoolFile(int fd, Path path) {
        this.fd = fd;
        this.path = path;
    }

    /**
     * Opens the existing file for releasing and reserving space; a symbolic link there is refused (ELOOP), never
     * followed.
     */
    public static SpoolFile open(Path path) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoState(arena);
            int fd = Libc.open(err, arena.allocateFrom(path.toString()), Libc.O_RDWR | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0600);
            if (fd < 0) {
                throw new NativeException("open", path.toString(), Libc.errno(err));
            }
            return new SpoolFile(fd, path);
        }
    }

    /**
     * Gives back the space of {@code [from, to)}, rounded inwards to whole blocks. Returns false when the
     * filesystem cannot punch holes (the file then keeps its space).
     *
     * @throws NativeException on any other failure
     */
    public boolean release(long from, long to) {
        long start = (from + BLOCK - 1) / BLOCK * BLOCK;
        long end = to / BLOCK * BLOCK;
        if (end <= start) {
            return true;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoState(arena);
            if (Libc.fallocate(err, fd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, start, end - start) != 0) {
                int errno = Libc.errno(err);
                if (errno == EOPNOTSUPP) {
                    return false;
                }
                throw new NativeException("fallocate", "punch hole " + start + "+" + (end - start) + " in " + path, errno);
            }
            return true;
        }
    }

    /**
     * Allocates {@code [from, from + length)} without changing the file's size (fallocate
     * {@code FALLOC_FL_KEEP_SIZE}), so that appends into that range need no new space: they land even while the
     * filesystem is full. Returns false when the filesystem is full or cannot preallocate.
     *
     * @throws NativeException on any other failure
     */
    public boolean reserve(long from, long length) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoState(arena);
            if (Libc.fallocate(err, fd, Libc.FALLOC_FL_KEEP_SIZE, from, length) != 0) {
                int errno = Libc.errno(err);
                if (errno == ENOSPC || errno == EOPNOTSUPP) {
                    return false;
                }
                throw new NativeException("fallocate", "reserve " + from + "+" + length + " in " + path, errno);
            }
            return true;
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            Libc.closeQuietly(fd);
        }
    }
}
