package dev.herd.os;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A connected AF_UNIX stream socket that carries open file descriptors beside its bytes (SCM_RIGHTS): how a master
 * hands its listening sockets to the master that takes over from it. The JDK's channels cannot send descriptors.
 * A receiver needs no permission over the sender (unlike pidfd_getfd, which needs ptrace rights: root, or Yama's
 * {@code ptrace_scope} 0). One thread uses a stream at a time; its calls block (poll, then the call): platform
 * threads only.
 */
public final class UnixStream implements AutoCloseable {
    /** The kernel's limit of descriptors in one message (SCM_MAX_FD); {@link #send} splits longer lists. */
    public static final int MAX_FDS_PER_MESSAGE = 253;
    // struct msghdr (x86_64): name 0, namelen 8, iov 16, iovlen 24, control 32, controllen 40, flags 48; 56 bytes
    private static final long MSGHDR_SIZE = 56;
    private static final long IOVEC_SIZE = 16;
    // struct cmsghdr: len (size_t) 0, level 8, type 12, data 16 (docs/native-notes.md)
    private static final long CMSG_HEADER = 16;

    private final int fd;
    private final String what;
    private final AtomicBoolean closed = new AtomicBoolean();

    UnixStream(int fd, String what) {
        this.fd = fd;
        this.what = what;
    }

    /** What one {@link #receive} brought: bytes (empty once the peer has closed) and the descriptors that came with them. */
    public record Received(byte[] data, int[] fds) {
        public boolean endOfStream() {
            return data.length == 0;
        }
    }

    /** SO_PEERCRED: who the peer was when it connected. */
    public record Peer(int pid, int uid, int gid) {
    }

    /**
     * Connects to the stream socket at path.
     *
     * @throws IOException when nobody listens there (ECONNREFUSED: left by a process that was killed; ENOENT)
     */
    public static UnixStream connect(Path path) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoState(arena);
            MemorySegment sa = SockAddr.unix(arena, path.toAbsolutePath());
            int fd = Libc.socket(err, Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0);
            if (fd < 0) {
                throw new NativeException("socket", "AF_UNIX " + path, Libc.errno(err));
            }
            int rc;
            do {
                rc = Libc.connect(err, fd, sa, (int) sa.byteSize());
            } while (rc != 0 && Libc.errno(err) == Errno.EINTR);
            if (rc != 0) {
                int errno = Libc.errno(err);
                Libc.closeQuietly(fd);
                throw new IOException("cannot connect to " + path + ": " + Errno.describe(errno)
                        + " (" + Errno.name(errno) + ")");
            }
            return new UnixStream(fd, path.toString());
        }
    }

    /**
     * Writes all of {@code data}; {@code fds} (copies of this process's descriptors, which stay open here) travel with
     * it, at most {@value #MAX_FDS_PER_MESSAGE} with each part, so {@code data} must be at least one byte per
     * {@value #MAX_FDS_PER_MESSAGE} descriptors.
     */
    public void send(byte[] data, int... fds) throws IOException {
        int parts = (fds.length + MAX_FDS_PER_MESSAGE - 1) / MAX_FDS_PER_MESSAGE;
        if (parts > data.length) {
            throw new IllegalArgumentException(fds.length + " descriptors need at least " + parts + " bytes to travel with");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoState(arena);
            MemorySegment bytes = arena.allocate(Math.max(1, data.length));
            MemorySegment.copy(MemorySegment.ofArray(data), 0, bytes, 0, data.length);
            MemorySegment control = arena.allocate(CMSG_HEADER + 4L * MAX_FDS_PER_MESSAGE, 8);
            MemorySegment iov = arena.allocate(IOVEC_SIZE, 8);
            MemorySegment message = arena.allocate(MSGHDR_SIZE, 8);
            int sentFds = 0;
            long sent = 0;
            while (sent < data.length) {
                int count = Math.min(MAX_FDS_PER_MESSAGE, fds.length - sentFds);
                // with descriptors still to go, this part stops where the next ones must start
                long partLength = sentFds + count < fds.length ? 1 : data.length - sent;
                iov.set(JAVA_LONG, 0, bytes.address() + sent);
                iov.set(JAVA_LONG, 8, partLength);
                message.fill((byte) 0);
                message.set(JAVA_LONG, 16, iov.address());
                message.set(JAVA_LONG, 24, 1);
                if (count > 0) {
                    long length = CMSG_HEADER + 4L * count;
                    control.set(JAVA_LONG, 0, length);
                    control.set(JAVA_INT, 8, Libc.SOL_SOCKET);
                    control.set(JAVA_INT, 12, Libc.SCM_RIGHTS);
                    for (int i = 0; i < count; i++) {
                        control.set(JAVA_INT, CMSG_HEADER + 4L * i, fds[sentFds + i]);
                    }
                    message.set(JAVA_LONG, 32, control.address());
                    message.set(JAVA_LONG, 40, (length + 7) & ~7L);
                }
                long n = Libc.sendmsg(err, fd, message, Libc.MSG_NOSIGNAL);
                if (n < 0) {
                    int errno = Libc.errno(err);
                    if (errno == Errno.EINTR) {
                        continue;
                    }
                    throw failure("send to", errno);
                }
                sentFds += count; // the kernel took them with the first byte of this part
                sent += n;
            }
        }
    }

    /**
     * Waits up to {@code timeout} and reads what has arrived, at most {@code max} bytes, with the descriptors that
     * came with it (close-on-exec; the caller owns them: {@link #closeDescriptor}); empty when nothing arrived in time.
     *
     * @throws IOException when the kernel dropped descriptors (more than one message may carry), or the call failed
     */
    public java.util.Optional<Received> receive(int max, Duration timeout) throws IOException {
        if (!PollFd.awaitReadable(fd, timeout, what)) {
            return java.util.Optional.empty();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoState(arena);
            MemorySegment bytes = arena.allocate(Math.max(1, max));
            long controlSize = CMSG_HEADER + 4L * MAX_FDS_PER_MESSAGE + 8;
            MemorySegment control = arena.allocate(controlSize, 8);
            MemorySegment iov = arena.allocate(IOVEC_SIZE, 8);
            iov.set(JAVA_LONG, 0, bytes.address());
            iov.set(JAVA_LONG, 8, max);
            MemorySegment message = arena.allocate(MSGHDR_SIZE, 8);
            message.set(JAVA_LONG, 16, iov.address());
            message.set(JAVA_LONG, 24, 1);
            message.set(JAVA_LONG, 32, control.address());
            message.set(JAVA_LONG, 40, controlSize);
            long n;
            do {
                n = Libc.recvmsg(err, fd, message, Libc.MSG_CMSG_CLOEXEC);
            } while (n < 0 && Libc.errno(err) == Errno.EINTR);
            if (n < 0) {
                throw failure("receive from", Libc.errno(err));
            }
            int[] fds = descriptors(control, message.get(JAVA_LONG, 40));
            if ((message.get(JAVA_INT, 48) & Libc.MSG_CTRUNC) != 0) {
                Arrays.stream(fds).forEach(Libc::closeQuietly);
                throw new IOException("descriptors sent on " + what + " were dropped: more than "
                        + MAX_FDS_PER_MESSAGE + " in one message");
            }
            return java.util.Optional.of(new Received(bytes.asSlice(0, n).toArray(JAVA_BYTE), fds));
        }
    }

    /** The descriptors of the SCM_RIGHTS messages in a received control buffer. */
    private static int[] descriptors(MemorySegment control, long length) {
        int[] fds = new int[0];
        long at = 0;
        while (at + CMSG_HEADER <= length) {
            long cmsgLength = control.get(JAVA_LONG, at);
            if (cmsgLength < CMSG_HEADER || at + cmsgLength > length) {
                break;
            }
            if (control.get(JAVA_INT, at + 8) == Libc.SOL_SOCKET && control.get(JAVA_INT, at + 12) == Libc.SCM_RIGHTS) {
                int count = (int) ((cmsgLength - CMSG_HEADER) / 4);
                int[] more = Arrays.copyOf(fds, fds.length + count);
                for (int i = 0; i < count; i++) {
                    more[fds.length + i] = control.get(JAVA_INT, at + CMSG_HEADER + 4L * i);
                }
                fds = more;
            }
            at += (cmsgLength + 7) & ~7L;
        }
        return fds;
    }

    /** Closes a descriptor that came with {@link #receive} and is not kept; errors are ignored. */
    public static void closeDescriptor(int fd) {
        Libc.closeQuietly(fd);
    }

    /** The peer's credentials, as the kernel recorded them at connect. */
    public Peer peer() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoState(arena);
            MemorySegment credentials = arena.allocate(12, 4); // struct ucred {pid, uid, gid}
            MemorySegment length = arena.allocate(JAVA_INT);
            length.set(JAVA_INT, 0, 12);
            if (Libc.getsockopt(err, fd, Libc.SOL_SOCKET, Libc.SO_PEERCRED, credentials, length) != 0) {
                throw new NativeException("getsockopt", "SO_PEERCRED on " + what, Libc.errno(err));
            }
            return new Peer(credentials.get(JAVA_INT, 0), credentials.get(JAVA_INT, 4), credentials.get(JAVA_INT, 8));
        }
    }

    private IOException failure(String doing, int errno) {
        if (errno == Errno.EPIPE || errno == Errno.ECONNRESET) {
            return new IOException("the other end of " + what + " closed the connection");
        }
        return new IOException("cannot " + doing + " " + what + ": " + Errno.describe(errno) + " (" + Errno.name(errno) + ")");
    }

    /** Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            Libc.closeQuietly(fd);
        }
    }
}
