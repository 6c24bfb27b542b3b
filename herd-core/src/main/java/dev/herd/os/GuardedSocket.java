package dev.herd.os;

import java.lang.foreign.Arena;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.IntFunction;

/**
 * A socket descriptor that one thread waits on (poll, then the call) while another may close it. Closing wakes the
 * waiter at once (shutdown: its poll returns) and closes the descriptor only once the waiter has let go of it, so
 * its number is never freed, and perhaps reused by another open, under a call still using it.
 */
final class GuardedSocket {
    private final int fd;
    private final String what;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private volatile boolean closed;

    GuardedSocket(int fd, String what) {
        this.fd = fd;
        this.what = what;
    }

    int fd() {
        return fd;
    }

    boolean closed() {
        return closed;
    }

    /** Runs {@code use} with the descriptor, unless closed: then returns {@code whenClosed}. */
    <T> T use(IntFunction<T> use, T whenClosed) {
        lock.readLock().lock();
        try {
            return closed ? whenClosed : use.apply(fd);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Wakes a waiting {@link #use} and closes the descriptor; false when it was closed already. */
    boolean close() {
        synchronized (this) {
            if (closed) {
                return false;
            }
            closed = true;
        }
        try (Arena arena = Arena.ofConfined()) {
            Libc.shutdown(Libc.errnoState(arena), fd, Libc.SHUT_RDWR); // a poll in another thread returns at once
        }
        lock.writeLock().lock();
        try {
            Libc.closeChecked(fd, what);
        } finally {
            lock.writeLock().unlock();
        }
        return true;
    }
}
