package dev.herd.os;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An eventfd (non-blocking, close-on-exec): lets any thread wake a thread blocked in poll(2) on it, without a
 * pipe's two descriptors. Read and write go through syscall(2), so no further libc bindings are needed.
 */
public final class EventFd implements AutoCloseable {
    private static final int EFD_NONBLOCK = 0x800;
    private static final int EFD_CLOEXEC = 0x80000;

    private final int fd;
    private final AtomicBoolean closed = new AtomicBoolean();

    private EventFd(int fd) {
        this.fd = fd;
    }

    /** @throws NativeException e.g. EMFILE when the process has no descriptor left */
    public static EventFd open() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoState(arena);
            long fd = Libc.syscall(err, Libc.SYS_EVENTFD2, 0, EFD_NONBLOCK | EFD_CLOEXEC);
            if (fd < 0) {
                throw new NativeException("eventfd", "wake-up descriptor", Libc.errno(err));
            }
            return new EventFd((int) fd);
        }
    }

    /** Makes the descriptor readable until {@link #drain}; never blocks (a saturated counter is readable anyway). */
    public void signal() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocate(JAVA_LONG);
            one.set(JAVA_LONG, 0, 1L);
            Libc.syscall(Libc.errnoState(arena), Libc.SYS_WRITE, fd, one.address(), 8);
        }
    }

    /** Resets the counter, so the descriptor is not readable until the next {@link #signal}. */
    public void drain() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(JAVA_LONG);
            Libc.syscall(Libc.errnoState(arena), Libc.SYS_READ, fd, value.address(), 8);
        }
    }

    public int fd() {
        return fd;
    }

    /** Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            Libc.closeChecked(fd, "eventfd");
        }
    }
}
