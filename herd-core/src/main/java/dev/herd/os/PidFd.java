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

    /**
     * Copies file descriptor {@code targetFd} of the process into this one (pidfd_getfd, Linux 5.6+), close-on-exec:
     * both then refer to the same open socket or file, which stays open while either holds it. Needs ptrace
     * permission over the process (root, or the same user without Yama restrictions).
     *
     * @throws NativeException e.g. EBADF when the process has no such fd, EPERM without permission
     */
    public int copyFd(int targetFd) {
        if (closed.get()) {
            throw new IllegalStateException("pidfd of " + pid + " is closed");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoState(arena);
            long copy = Libc.syscall(err, Libc.SYS_PIDFD_GETFD, fd, targetFd, 0);
            if (copy < 0) {
                throw new NativeException("pidfd_getfd", "fd " + targetFd + " of pid " + pid, Libc.errno(err));
            }
            return (int) copy;
        }
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
