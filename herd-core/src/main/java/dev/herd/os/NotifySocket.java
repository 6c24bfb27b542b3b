package dev.herd.os;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Receiving end of the sd_notify protocol for one worker: an AF_UNIX datagram socket whose path the
 * worker gets as NOTIFY_SOCKET and to which it sends "READY=1", "STATUS=...", "WATCHDOG=1", ...
 */
public final class NotifySocket implements AutoCloseable {
    private volatile boolean keepPath;
    private static final int MAX_DATAGRAM = 4096;

    private final GuardedSocket socket;
    private final Path path;

    private NotifySocket(int fd, Path path) {
        this.socket = new GuardedSocket(fd, "notify socket " + path);
        this.path = path;
    }

    /**
     * Removes a stale file at path, then binds. The socket file gets the process umask's mode; the
     * worker runs as the same user.
     *
     * @throws IllegalArgumentException when the path is longer than {@value UnixSocketPath#MAX_BYTES} bytes
     */
    public static NotifySocket bind(Path path) {
        Path absolute = path.toAbsolutePath();
        UnixSocketPath.check(absolute);
        try {
            Files.deleteIfExists(absolute);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove stale notify socket " + absolute, e);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoState(arena);
            int fd = Libc.socket(err, Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
            if (fd < 0) {
                throw new NativeException("socket", "AF_UNIX " + absolute, Libc.errno(err));
            }
            MemorySegment sa = SockAddr.unix(arena, absolute);
            if (Libc.bind(err, fd, sa, (int) sa.byteSize()) != 0) {
                int errno = Libc.errno(err);
                Libc.closeQuietly(fd);
                throw new NativeException("bind", absolute.toString(), errno);
            }
            return new NotifySocket(fd, absolute);
        }
    }

    /**
     * Waits up to timeout for one datagram and returns it as UTF-8; empty on timeout or once closed.
     * Blocks: call on a platform thread.
     */
    public Optional<String> receive(Duration timeout) {
        return socket.use(fd -> {
            if (!PollFd.awaitReadable(fd, timeout, "notify socket " + path) || socket.closed()) {
                return Optional.<String>empty();
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment err = Libc.errnoState(arena);
                MemorySegment buffer = arena.allocate(MAX_DATAGRAM);
                long n = Libc.recv(err, fd, buffer, MAX_DATAGRAM, Libc.MSG_DONTWAIT);
                if (n < 0) {
                    int errno = Libc.errno(err);
                    if (errno == Errno.EAGAIN || errno == Errno.EINTR) {
                        return Optional.<String>empty();
                    }
                    throw new NativeException("recv", path.toString(), errno);
                }
                byte[] bytes = buffer.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                return Optional.of(new String(bytes, StandardCharsets.UTF_8));
            }
        }, Optional.empty());
    }

    /** The descriptor, for a thread that polls many sockets; only that thread should {@link #receive} then. */
    public int fd() {
        return socket.fd();
    }

    public Path path() {
        return path;
    }

    /** Wakes a blocked {@link #receive}, closes the socket and removes its file. Idempotent. */
    @Override
    public void close() {
        if (!socket.close()) {
            return;
        }
        if (keepPath) {
            return; // another master has bound its own socket there (a hand-over)
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove notify socket " + path, e);
        }
    }

    /**
     * Closing leaves the path alone from now on: the master hands its workers over, and the new one binds its own
     * socket at the same path, which the worker keeps sending to.
     */
    public void keepPathOnClose() {
        keepPath = true;
    }

    /** Client side of sd_notify: sends one datagram to the socket at path. */
    public static void send(Path path, String message) {
        Path absolute = path.toAbsolutePath();
        try (Arena arena = Arena.ofConfined()) {
            send(arena, SockAddr.unix(arena, absolute), absolute.toString(), message);
        }
    }

    /**
     * The same to a service manager's {@code NOTIFY_SOCKET} as systemd gives it: a path, or {@code @NAME} for an
     * abstract socket (Linux's namespace of socket names without a file).
     */
    public static void sendTo(String notifySocket, String message) {
        if (!notifySocket.startsWith("@")) {
            send(Path.of(notifySocket), message);
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            send(arena, SockAddr.unixAbstract(arena, notifySocket.substring(1)), notifySocket, message);
        }
    }

    private static void send(Arena arena, MemorySegment sa, String where, String message) {
        MemorySegment err = Libc.errnoState(arena);
        int fd = Libc.socket(err, Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new NativeException("socket", "AF_UNIX " + where, Libc.errno(err));
        }
        try {
            byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
            MemorySegment data = arena.allocate(Math.max(1, bytes.length));
            MemorySegment.copy(MemorySegment.ofArray(bytes), 0, data, 0, bytes.length);
            long n = Libc.sendto(err, fd, data, bytes.length, 0, sa, (int) sa.byteSize());
            if (n < 0) {
                throw new NativeException("sendto", where, Libc.errno(err));
            }
        } finally {
            Libc.closeQuietly(fd);
        }
    }
}
