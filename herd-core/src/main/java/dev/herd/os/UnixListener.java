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

/** A listening AF_UNIX stream socket whose connections are {@link UnixStream}s (which can carry descriptors). */
public final class UnixListener implements AutoCloseable {
    private final GuardedSocket socket;
    private final Path path;

    private UnixListener(int fd, Path path) {
        this.socket = new GuardedSocket(fd, "socket " + path);
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
        return socket.use(fd -> {
            if (!PollFd.awaitReadable(fd, timeout, "socket " + path) || socket.closed()) {
                return Optional.empty();
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment err = Libc.errnoState(arena);
                int connection = Libc.accept4(err, fd, Libc.SOCK_CLOEXEC);
                if (connection < 0) {
                    int errno = Libc.errno(err);
                    if (errno == Errno.EAGAIN || errno == Errno.EINTR || errno == Errno.EINVAL && socket.closed()) {
                        return Optional.empty();
                    }
                    throw new NativeException("accept4", path.toString(), errno);
                }
                return Optional.of(new UnixStream(connection, "connection on " + path));
            }
        }, Optional.empty());
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
        socket.close();
    }
}
