package dev.herd.os;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/** A listening AF_UNIX stream socket whose connections are {@link UnixStream}s (which can carry descriptors). */
public final class UnixListener implements AutoCloseable {
    private final int fd;
    private final Path path;
    // accept() holds the read lock while it uses fd; close() takes the write lock before close(fd), so the number is
    // never closed (and reused) under a waiting accept
    private final ReentrantReadWriteLock fdLock = new ReentrantReadWriteLock();
    private volatile boolean closed;

    private UnixListener(int fd, Path path) {
        this.fd = fd;
        this.path = path;
    }

    /**
     * Replaces whatever is at {@code path} (a socket left by a killed process) with a socket only this user may connect
     * to (0600; the directory it is in should be private too, as a socket's mode is the umask's until the chmod).
     */
    public static UnixListener listen(Path path, int backlog) {
        Path absolute = path.toAbsolutePath();
        UnixSocketPath.check(absolute);
        try (Arena arena = Arena.ofConfined()) {
            Files.deleteIfExists(absolute);
            MemorySegment err = Libc.errnoState(arena);
            int fd = Libc.socket(err, Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0);
            if (fd < 0) {
                throw new NativeException("socket", "AF_UNIX " + absolute, Libc.errno(err));
            }
            MemorySegment sa = SockAddr.unix(arena, absolute);
            if (Libc.bind(err, fd, sa, (int) sa.byteSize()) != 0 || Libc.listen(err, fd, backlog) != 0) {
                int errno = Libc.errno(err);
                Libc.closeQuietly(fd);
                throw new NativeException("bind/listen", absolute.toString(), errno);
            }
            try {
                Files.setPosixFilePermissions(absolute, PosixFilePermissions.fromString("rw-------"));
            } catch (IOException e) {
                Libc.closeQuietly(fd);
                throw e;
            }
            return new UnixListener(fd, absolute);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen at " + absolute + ": " + e.getMessage(), e);
        }
    }

    /** The next connection, waiting at most {@code timeout}; empty on timeout or once closed. Blocks: platform thread. */
    public Optional<UnixStream> accept(Duration timeout) {
        fdLock.readLock().lock();
        try {
            if (closed || !PollFd.awaitReadable(fd, timeout, "socket " + path) || closed) {
                return Optional.empty();
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment err = Libc.errnoState(arena);
                int connection = Libc.accept4(err, fd, Libc.SOCK_CLOEXEC);
                if (connection < 0) {
                    int errno = Libc.errno(err);
                    if (errno == Errno.EAGAIN || errno == Errno.EINTR || errno == Errno.EINVAL && closed) {
                        return Optional.empty();
                    }
                    throw new NativeException("accept4", path.toString(), errno);
                }
                return Optional.of(new UnixStream(connection, "connection on " + path));
            }
        } finally {
            fdLock.readLock().unlock();
        }
    }

    public Path path() {
        return path;
    }

    /**
     * Wakes a waiting {@link #accept} and closes the socket. The file stays: its owner removes it, or leaves it to the
     * process that binds its own there next. Idempotent.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try (Arena arena = Arena.ofConfined()) {
            Libc.shutdown(Libc.errnoState(arena), fd, Libc.SHUT_RDWR); // a poll in accept() returns at once
        }
        fdLock.writeLock().lock();
        try {
            Libc.closeQuietly(fd);
        } finally {
            fdLock.writeLock().unlock();
        }
    }
}
