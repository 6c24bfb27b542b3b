package dev.herd.os;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A listening TCP socket owned by the master and handed to workers at spawn. It is close-on-exec:
 * the spawn's dup2 clears the flag on the worker's copy only.
 */
public final class ListenSocket implements AutoCloseable {
    private final int fd;
    private final InetSocketAddress localAddress;
    private final long inode;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ListenSocket(int fd, InetSocketAddress localAddress, long inode) {
        this.fd = fd;
        this.localAddress = localAddress;
        this.inode = inode;
    }

    /**
     * socket, SO_REUSEADDR, optional SO_REUSEPORT, IPV6_V6ONLY (off for the wildcard {@code ::} so it
     * also takes IPv4, on for a specific IPv6 address), bind, listen. Port 0 binds an ephemeral port.
     */
    public static ListenSocket open(InetSocketAddress address, int backlog, boolean reusePort) {
        String where = SockAddr.describe(address);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoState(arena);
            int fd = bound(arena, address, reusePort, where);
            try {
                if (Libc.listen(err, fd, backlog) != 0) {
                    throw new NativeException("listen", where + ", backlog " + backlog, Libc.errno(err));
                }
                InetSocketAddress bound = localAddress(arena, fd, where);
                return new ListenSocket(fd, bound, ProcFs.socketInode(fd));
            } catch (RuntimeException e) {
                Libc.closeQuietly(fd);
                throw e;
            }
        }
    }

    /**
     * Takes ownership of a copy of a listening socket that another process bound (pidfd_getfd from an earlier
     * master or one of its workers): the copy is checked to be a listening TCP socket and given its address and
     * inode. The descriptor is closed when it is not one.
     *
     * @throws NativeException when the descriptor cannot be inspected
     * @throws IllegalArgumentException when it is not a listening TCP socket
     */
    public static ListenSocket fromCopy(int fd, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoState(arena);
            MemorySegment v = arena.allocate(JAVA_INT);
            MemorySegment len = arena.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, 4);
            if (Libc.getsockopt(err, fd, Libc.SOL_SOCKET, Libc.SO_ACCEPTCONN, v, len) != 0) {
                throw new NativeException("getsockopt", "SO_ACCEPTCONN on " + what, Libc.errno(err));
            }
            if (v.get(JAVA_INT, 0) == 0) {
                throw new IllegalArgumentException(what + " is not a listening socket");
            }
            return new ListenSocket(fd, localAddress(arena, fd, what), ProcFs.socketInode(fd));
        } catch (RuntimeException e) {
            Libc.closeQuietly(fd);
            throw e;
        }
    }

    /**
     * Takes a listening socket the service manager passed (systemd socket activation: {@code LISTEN_FDS}, from fd 3):
     * checked to be a listening TCP socket, moved to a close-on-exec descriptor (the inherited one is not, and fd 3
     * is where workers expect their own socket) and the inherited number closed.
     *
     * @throws IllegalArgumentException naming the descriptor and what it is instead
     */
    public static ListenSocket fromServiceManager(int fd) {
        String what = "fd " + fd;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoState(arena);
            int type = intOption(arena, fd, Libc.SO_TYPE, what);
            int domain = intOption(arena, fd, Libc.SO_DOMAIN, what);
            if (type != Libc.SOCK_STREAM || (domain != Libc.AF_INET && domain != Libc.AF_INET6)) {
                throw new IllegalArgumentException(what + " is not a TCP socket (domain " + domain + ", type " + type
                        + "); Herd takes ListenStream= sockets on an IP address and port");
            }
            int copy = Libc.dupCloexec(err, fd, 3);
            if (copy < 0) {
                throw new NativeException("fcntl", "F_DUPFD_CLOEXEC on " + what, Libc.errno(err));
            }
            Libc.closeQuietly(fd);
            return fromCopy(copy, what);
        }
    }

    /** Whether SO_REUSEPORT is set: a socket that can share its port with the others of its group. */
    public boolean reusesPort() {
        try (Arena arena = Arena.ofConfined()) {
            return intOption(arena, fd, Libc.SO_REUSEPORT, "fd " + fd) != 0;
        }
    }

    private static int intOption(Arena arena, int fd, int option, String what) {
        MemorySegment err = Libc.errnoState(arena);
        MemorySegment v = arena.allocate(JAVA_INT);
        MemorySegment len = arena.allocate(JAVA_INT);
        len.set(JAVA_INT, 0, 4);
        if (Libc.getsockopt(err, fd, Libc.SOL_SOCKET, option, v, len) != 0) {
            int errno = Libc.errno(err);
            if (errno == Errno.EBADF) {
                throw new IllegalArgumentException(what + " is not open");
            }
            if (errno == Errno.ENOTSOCK) {
                throw new IllegalArgumentException(what + " is not a socket");
            }
            throw new NativeException("getsockopt", "option " + option + " on " + what, errno);
        }
        return v.get(JAVA_INT, 0);
    }

    /**
     * Binds a socket without SO_REUSEPORT to the address and closes it again: fails with EADDRINUSE when anything
     * listens there, even a SO_REUSEPORT group of the same user, which {@link #open} with reusePort would join.
     *
     * @throws NativeException EADDRINUSE when the port is taken
     */
    public static void checkFree(InetSocketAddress address) {
        try (Arena arena = Arena.ofConfined()) {
            Libc.closeQuietly(bound(arena, address, false, SockAddr.describe(address)));
        }
    }

    /** socket, options and bind; the caller owns the returned fd. */
    private static int bound(Arena arena, InetSocketAddress address, boolean reusePort, String where) {
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("unresolved address " + address);
        }
        MemorySegment err = Libc.errnoState(arena);
        int family = SockAddr.family(address);
        int fd = Libc.socket(err, family, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new NativeException("socket", where, Libc.errno(err));
        }
        try {
            setInt(arena, fd, Libc.SOL_SOCKET, Libc.SO_REUSEADDR, 1, "SO_REUSEADDR", where);
            if (reusePort) {
                setInt(arena, fd, Libc.SOL_SOCKET, Libc.SO_REUSEPORT, 1, "SO_REUSEPORT", where);
            }
            if (family == Libc.AF_INET6) {
                int v6only = ((Inet6Address) address.getAddress()).isAnyLocalAddress() ? 0 : 1;
                setInt(arena, fd, Libc.IPPROTO_IPV6, Libc.IPV6_V6ONLY, v6only, "IPV6_V6ONLY", where);
            }
            MemorySegment sa = SockAddr.inet(arena, address);
            if (Libc.bind(err, fd, sa, (int) sa.byteSize()) != 0) {
                throw new NativeException("bind", where, Libc.errno(err));
            }
            return fd;
        } catch (RuntimeException e) {
            Libc.closeQuietly(fd);
            throw e;
        }
    }

    private static void setInt(Arena arena, int fd, int level, int option, int value, String name, String where) {
        MemorySegment err = Libc.errnoState(arena);
        MemorySegment v = arena.allocate(JAVA_INT);
        v.set(JAVA_INT, 0, value);
        if (Libc.setsockopt(err, fd, level, option, v, 4) != 0) {
            throw new NativeException("setsockopt", name + "=" + value + " on " + where, Libc.errno(err));
        }
    }

    private static InetSocketAddress localAddress(Arena arena, int fd, String where) {
        MemorySegment err = Libc.errnoState(arena);
        MemorySegment sa = arena.allocate(SockAddr.STORAGE_SIZE);
        MemorySegment len = arena.allocate(JAVA_INT);
        len.set(JAVA_INT, 0, SockAddr.STORAGE_SIZE);
        if (Libc.getsockname(err, fd, sa, len) != 0) {
            throw new NativeException("getsockname", where, Libc.errno(err));
        }
        return SockAddr.decodeInet(sa);
    }

    /**
     * Attaches a classic BPF program that picks, for each new connection, which socket of this socket's
     * SO_REUSEPORT group gets it: the program returns an index in the order the group's sockets called
     * listen(); an out-of-range index falls back to the kernel's hash. Replaces any earlier program; applies to
     * the whole group.
     */
    public void attachReusePortProgram(java.util.List<BpfInstruction> program) {
        if (program.isEmpty() || program.size() > BpfInstruction.MAX_INSTRUCTIONS) {
            throw new IllegalArgumentException("a cBPF program has 1.." + BpfInstruction.MAX_INSTRUCTIONS
                    + " instructions, got " + program.size());
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment filter = arena.allocate(8L * program.size(), 8);
            for (int i = 0; i < program.size(); i++) {
                BpfInstruction in = program.get(i);
                long at = 8L * i;
                filter.set(java.lang.foreign.ValueLayout.JAVA_SHORT, at, (short) in.code());
                filter.set(java.lang.foreign.ValueLayout.JAVA_BYTE, at + 2, (byte) in.jt());
                filter.set(java.lang.foreign.ValueLayout.JAVA_BYTE, at + 3, (byte) in.jf());
                filter.set(JAVA_INT, at + 4, in.k());
            }
            MemorySegment fprog = arena.allocate(16, 8); // struct sock_fprog { u16 len; <pad>; sock_filter *filter; }
            fprog.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 0, (short) program.size());
            fprog.set(java.lang.foreign.ValueLayout.ADDRESS, 8, filter);
            MemorySegment err = Libc.errnoState(arena);
            if (Libc.setsockopt(err, fd, Libc.SOL_SOCKET, Libc.SO_ATTACH_REUSEPORT_CBPF, fprog, 16) != 0) {
                throw new NativeException("setsockopt", "SO_ATTACH_REUSEPORT_CBPF (" + program.size()
                        + " instructions) on " + SockAddr.describe(localAddress), Libc.errno(err));
            }
        }
    }

    public int fd() {
        return fd;
    }

    /** The address actually bound (the real port when 0 was asked for). */
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    /** The socket's inode, the same in every process holding a copy (see {@link ProcFs#isAccepting}). */
    public long inode() {
        return inode;
    }

    /** Idempotent. Workers keep their own copies open. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            Libc.closeChecked(fd, "listen socket " + SockAddr.describe(localAddress));
        }
    }

    @Override
    public String toString() {
        return "ListenSocket[fd=" + fd + ", " + SockAddr.describe(localAddress) + "]";
    }
}
