package dev.herd.os;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An inotify instance watching one directory for files created or written in it (non-blocking, close-on-exec). Its
 * descriptor is readable while events wait, so the thread that acts on them can {@link Poller poll} it together with
 * other descriptors: the JDK's {@code WatchService} needs two threads of its own for the same (its background poller
 * and a thread blocked in {@code take()}). Calls go through syscall(2), so no further libc bindings are needed.
 */
public final class Inotify implements AutoCloseable {
    private static final int IN_NONBLOCK = 0x800;
    private static final int IN_CLOEXEC = 0x80000;
    /** A file in the directory was written to. */
    public static final int IN_MODIFY = 0x2;
    /** A file was created in the directory. */
    public static final int IN_CREATE = 0x100;
    private static final int IN_Q_OVERFLOW = 0x4000;
    private static final int IN_IGNORED = 0x8000;
    /** struct inotify_event: int wd, uint32 mask, uint32 cookie, uint32 len, then len bytes of name. */
    private static final int EVENT_HEADER = 16;
    private static final int BUFFER = 4096;

    private final int fd;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Inotify(int fd) {
        this.fd = fd;
    }

    /**
     * Watches {@code dir} for the events of {@code mask} ({@link #IN_CREATE}, {@link #IN_MODIFY}, or both).
     *
     * @throws NativeException e.g. EMFILE when the user has no inotify instance left
     *                         ({@code fs.inotify.max_user_instances}), ENOSPC when no watch is left, ENOENT
     */
    public static Inotify watch(Path dir, int mask) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoState(arena);
            long fd = Libc.syscall(err, Libc.SYS_INOTIFY_INIT1, IN_NONBLOCK | IN_CLOEXEC, 0);
            if (fd < 0) {
                throw new NativeException("inotify_init1", dir.toString(), Libc.errno(err));
            }
            Inotify inotify = new Inotify((int) fd);
            MemorySegment path = arena.allocateFrom(dir.toString());
            if (Libc.syscall(err, Libc.SYS_INOTIFY_ADD_WATCH, fd, path.address(), mask) < 0) {
                int errno = Libc.errno(err);
                inotify.close();
                throw new NativeException("inotify_add_watch", dir.toString(), errno);
            }
            return inotify;
        }
    }

    public int fd() {
        return fd;
    }

    /**
     * Reads every event that waits, so the descriptor is not readable until the next one. Never blocks.
     *
     * @return false when the watch is gone (the directory was deleted or its file system unmounted): nothing more will
     * be reported; true otherwise, also when the kernel's queue overflowed (some events were dropped, which only
     * means "something changed")
     */
    public boolean drain() {
        boolean alive = true;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoState(arena);
            MemorySegment buffer = arena.allocate(BUFFER, 8);
            while (true) {
                long n = Libc.syscall(err, Libc.SYS_READ, fd, buffer.address(), BUFFER);
                if (n <= 0) {
                    return alive; // EAGAIN: drained (EINTR or anything else: the next wake-up reads again)
                }
                for (long at = 0; at + EVENT_HEADER <= n; ) {
                    int mask = buffer.get(JAVA_INT, at + 4);
                    int length = buffer.get(JAVA_INT, at + 12);
                    if ((mask & IN_IGNORED) != 0 && (mask & IN_Q_OVERFLOW) == 0) {
                        alive = false;
                    }
                    at += EVENT_HEADER + length;
                }
            }
        }
    }

    /** Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            Libc.closeChecked(fd, "inotify");
        }
    }
}
