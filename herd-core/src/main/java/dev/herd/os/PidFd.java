package dev.herd.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A pidfd (pidfd_open, Linux 5.3+): waits for the exit of a process that is not our child, e.g. a
 * worker adopted after a master takeover. Unlike a pid it cannot be confused with a later process
 * that reuses the number.
 */
public final class PidFd implements AutoCloseable {
    private final int fd;
    private final int pid;
    private final AtomicBoolean closed = new AtomicBoolean();

    private PidFd(int fd, int pid) {
        this.fd = fd;
        this.pid = pid;
    }

    /** @throws NativeException ESRCH when the process does not exist */
    public static PidFd open(int pid) {
        if (pid <= 0) {
            throw new IllegalArgumentException("pid must be positive, not " + pid);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoState(arena);
            long fd = Libc.syscall(err, Libc.SYS_PIDFD_OPEN, pid, 0);
            if (fd < 0) {
                throw new NativeException("pidfd_open", Integer.toString(pid), Libc.errno(err));
            }
            return new PidFd((int) fd, pid);
        }
    }

    /**
     * True once the process has exited (a zombie counts), false on timeout. Blocks: call on a
     * platform thread.
     */
    public boolean awaitExit(Duration timeout) {
        if (closed.get()) {
            throw new IllegalStateException("pidfd of " + pid + " is closed");
        }
        return PollFd.awaitReadable(fd, timeout, "pidfd of " + pid);
    }

    public int fd() {
        return fd;
    }

    /** Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            Libc.closeChecked(fd, "pidfd of " + pid);
        }
    }
}
