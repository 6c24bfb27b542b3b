package dev.herd.os;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The downcall handles into glibc, and nothing else. Functions that report failure through errno take
 * a capture segment ({@link #errnoState}) as their first argument, because errno must be read in the
 * same downcall: any JVM code run afterwards may overwrite it. The posix_spawn* family returns the
 * error number instead and takes no capture segment.
 */
@SuppressWarnings("restricted") // making downcall handles is this class's one job, and Linker.downcallHandle is restricted
final class Libc {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LOOKUP = LINKER.defaultLookup();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPTION = Linker.Option.captureCallState("errno");

    // Constants from the C headers (checked against the C headers: docs/native-notes.md).
    static final int AF_UNIX = 1;
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int SOCK_STREAM = 1;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SO_REUSEADDR = 2;
    static final int SO_REUSEPORT = 15;
    static final int SO_ATTACH_REUSEPORT_CBPF = 51;
    static final int IPPROTO_IPV6 = 41;
    static final int IPV6_V6ONLY = 26;
    static final int SHUT_RDWR = 2;
    static final int MSG_DONTWAIT = 0x40;
    static final int O_RDONLY = 0;
    static final int O_WRONLY = 0x1;
    static final int O_CREAT = 0x40;
    static final int O_APPEND = 0x400;
    static final int O_NOFOLLOW = 0x20000;
    static final int WNOHANG = 1;
    static final short POLLIN = 1;
    static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    static final short POSIX_SPAWN_SETSID = 0x80;
    static final long SYS_PIDFD_OPEN = 434;
    static final long SYS_PIDFD_GETFD = 438;
    static final int O_RDWR = 0x2;
    static final int FALLOC_FL_KEEP_SIZE = 0x01;
    static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    static final int O_CLOEXEC = 0x80000;
    static final int SC_CLK_TCK = 2;

    static final long SPAWN_FILE_ACTIONS_SIZE = 80;
    static final long SPAWNATTR_SIZE = 336;
    static final long SIGSET_SIZE = 128;
    static final long POLLFD_SIZE = 8;

    private static final MethodHandle SOCKET = errnoCall("socket", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle SETSOCKOPT =
            errnoCall("setsockopt", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle BIND = errnoCall("bind", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle LISTEN = errnoCall("listen", JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle GETSOCKNAME =
            errnoCall("getsockname", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
    private static final MethodHandle CLOSE = errnoCall("close", JAVA_INT, JAVA_INT);
    private static final MethodHandle POLL = errnoCall("poll", JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT);
    private static final MethodHandle GETPID = plainCall("getpid", JAVA_INT);
    private static final MethodHandle GETEUID = plainCall("geteuid", JAVA_INT);
    private static final MethodHandle SYSCONF = errnoCall("sysconf", JAVA_LONG, JAVA_INT);
    private static final MethodHandle SYSCALL2 = LINKER.downcallHandle(
            symbol("syscall"),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            ERRNO_OPTION, Linker.Option.firstVariadicArg(1));
    private static final MethodHandle SYSCALL3 = LINKER.downcallHandle(
            symbol("syscall"),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            ERRNO_OPTION, Linker.Option.firstVariadicArg(1));
    private static final MethodHandle OPEN = LINKER.downcallHandle(symbol("open"),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), ERRNO_OPTION, Linker.Option.firstVariadicArg(2));

    static {
        // A C library without one of these fails here, at start-up, as before their handles were made on first use
        // (a lookup costs nothing next to making a downcall handle, ~10 ms of CPU each on first use).
        for (String name : new String[] {"posix_spawnp", "posix_spawn_file_actions_init",
                "posix_spawn_file_actions_destroy", "posix_spawn_file_actions_adddup2", "posix_spawn_file_actions_addopen",
                "posix_spawn_file_actions_addclosefrom_np", "posix_spawn_file_actions_addchdir_np", "posix_spawnattr_init",
                "posix_spawnattr_destroy", "posix_spawnattr_setflags", "posix_spawnattr_setsigmask",
                "posix_spawnattr_setsigdefault", "shutdown", "recv", "sendto", "kill", "waitpid", "dup3", "fallocate",
                "strerror"}) {
            symbol(name);
        }
    }

    /** posix_spawn(3) and its attributes: made when the first worker is spawned, after the master listens. */
    private static final class Spawn {
        static final MethodHandle SPAWNP =
                plainCall("posix_spawnp", JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        static final MethodHandle FA_INIT = plainCall("posix_spawn_file_actions_init", JAVA_INT, ADDRESS);
        static final MethodHandle FA_DESTROY = plainCall("posix_spawn_file_actions_destroy", JAVA_INT, ADDRESS);
        static final MethodHandle FA_ADDDUP2 =
                plainCall("posix_spawn_file_actions_adddup2", JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
        static final MethodHandle FA_ADDOPEN = plainCall(
                "posix_spawn_file_actions_addopen", JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
        static final MethodHandle FA_ADDCLOSEFROM =
                plainCall("posix_spawn_file_actions_addclosefrom_np", JAVA_INT, ADDRESS, JAVA_INT);
        static final MethodHandle FA_ADDCHDIR =
                plainCall("posix_spawn_file_actions_addchdir_np", JAVA_INT, ADDRESS, ADDRESS);
        static final MethodHandle ATTR_INIT = plainCall("posix_spawnattr_init", JAVA_INT, ADDRESS);
        static final MethodHandle ATTR_DESTROY = plainCall("posix_spawnattr_destroy", JAVA_INT, ADDRESS);
        static final MethodHandle ATTR_SETFLAGS =
                plainCall("posix_spawnattr_setflags", JAVA_INT, ADDRESS, JAVA_SHORT);
        static final MethodHandle ATTR_SETSIGMASK =
                plainCall("posix_spawnattr_setsigmask", JAVA_INT, ADDRESS, ADDRESS);
        static final MethodHandle ATTR_SETSIGDEFAULT =
                plainCall("posix_spawnattr_setsigdefault", JAVA_INT, ADDRESS, ADDRESS);
    }

    /** Calls the master needs once workers run, or only on errors: made on first use, not before the master listens. */
    private static final class Later {
        static final MethodHandle SHUTDOWN = errnoCall("shutdown", JAVA_INT, JAVA_INT, JAVA_INT);
        static final MethodHandle RECV = errnoCall("recv", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT);
        static final MethodHandle SENDTO =
                errnoCall("sendto", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT);
        static final MethodHandle KILL = errnoCall("kill", JAVA_INT, JAVA_INT, JAVA_INT);
        static final MethodHandle WAITPID = errnoCall("waitpid", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
        static final MethodHandle DUP3 = errnoCall("dup3", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);
        static final MethodHandle FALLOCATE =
                errnoCall("fallocate", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG);
        static final MethodHandle STRERROR = plainCall("strerror", ADDRESS, JAVA_INT);
        static final MethodHandle STRERRORNAME =
                LOOKUP.find("strerrorname_np").isPresent() ? plainCall("strerrorname_np", ADDRESS, JAVA_INT) : null;
    }

    private Libc() {}

    private static MemorySegment symbol(String name) {
        return LOOKUP.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    }

    private static MethodHandle errnoCall(String name, MemoryLayout result, MemoryLayout... args) {
        return LINKER.downcallHandle(symbol(name), FunctionDescriptor.of(result, args), ERRNO_OPTION);
    }

    private static MethodHandle plainCall(String name, MemoryLayout result, MemoryLayout... args) {
        return LINKER.downcallHandle(symbol(name), FunctionDescriptor.of(result, args));
    }

    /** A segment the next errno-capturing call writes errno into. */
    static MemorySegment errnoState(Arena arena) {
        return arena.allocate(CAPTURE);
    }

    static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static RuntimeException fail(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    static int socket(MemorySegment err, int domain, int type, int protocol) {
        try {
            return (int) SOCKET.invokeExact(err, domain, type, protocol);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int setsockopt(MemorySegment err, int fd, int level, int name, MemorySegment value, int length) {
        try {
            return (int) SETSOCKOPT.invokeExact(err, fd, level, name, value, length);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int bind(MemorySegment err, int fd, MemorySegment address, int length) {
        try {
            return (int) BIND.invokeExact(err, fd, address, length);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int listen(MemorySegment err, int fd, int backlog) {
        try {
            return (int) LISTEN.invokeExact(err, fd, backlog);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int getsockname(MemorySegment err, int fd, MemorySegment address, MemorySegment length) {
        try {
            return (int) GETSOCKNAME.invokeExact(err, fd, address, length);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int shutdown(MemorySegment err, int fd, int how) {
        try {
            return (int) Later.SHUTDOWN.invokeExact(err, fd, how);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int open(MemorySegment err, MemorySegment path, int flags, int mode) {
        try {
            return (int) OPEN.invokeExact(err, path, flags, mode);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int fallocate(MemorySegment err, int fd, int mode, long offset, long length) {
        try {
            return (int) Later.FALLOCATE.invokeExact(err, fd, mode, offset, length);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int close(MemorySegment err, int fd) {
        try {
            return (int) CLOSE.invokeExact(err, fd);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static long recv(MemorySegment err, int fd, MemorySegment buffer, long length, int flags) {
        try {
            return (long) Later.RECV.invokeExact(err, fd, buffer, length, flags);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static long sendto(MemorySegment err, int fd, MemorySegment buffer, long length, int flags,
            MemorySegment address, int addressLength) {
        try {
            return (long) Later.SENDTO.invokeExact(err, fd, buffer, length, flags, address, addressLength);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int poll(MemorySegment err, MemorySegment fds, long count, int timeoutMillis) {
        try {
            return (int) POLL.invokeExact(err, fds, count, timeoutMillis);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int kill(MemorySegment err, int pid, int signal) {
        try {
            return (int) Later.KILL.invokeExact(err, pid, signal);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int waitpid(MemorySegment err, int pid, MemorySegment status, int options) {
        try {
            return (int) Later.WAITPID.invokeExact(err, pid, status, options);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int getpid() {
        try {
            return (int) GETPID.invokeExact();
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int geteuid() {
        try {
            return (int) GETEUID.invokeExact();
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static long sysconf(MemorySegment err, int name) {
        try {
            return (long) SYSCONF.invokeExact(err, name);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static long syscall(MemorySegment err, long number, long arg0, long arg1) {
        try {
            return (long) SYSCALL2.invokeExact(err, number, arg0, arg1);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static long syscall(MemorySegment err, long number, long arg0, long arg1, long arg2) {
        try {
            return (long) SYSCALL3.invokeExact(err, number, arg0, arg1, arg2);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int dup3(MemorySegment err, int oldFd, int newFd, int flags) {
        try {
            return (int) Later.DUP3.invokeExact(err, oldFd, newFd, flags);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static MemorySegment strerror(int errno) {
        try {
            return (MemorySegment) Later.STRERROR.invokeExact(errno);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** NULL for an unknown errno or when glibc predates 2.32. */
    static MemorySegment strerrorname(int errno) {
        if (Later.STRERRORNAME == null) {
            return MemorySegment.NULL;
        }
        try {
            return (MemorySegment) Later.STRERRORNAME.invokeExact(errno);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int posixSpawnp(MemorySegment pid, MemorySegment file, MemorySegment fileActions,
            MemorySegment attributes, MemorySegment argv, MemorySegment envp) {
        try {
            return (int) Spawn.SPAWNP.invokeExact(pid, file, fileActions, attributes, argv, envp);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int fileActionsInit(MemorySegment actions) {
        try {
            return (int) Spawn.FA_INIT.invokeExact(actions);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int fileActionsDestroy(MemorySegment actions) {
        try {
            return (int) Spawn.FA_DESTROY.invokeExact(actions);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int fileActionsAddDup2(MemorySegment actions, int fd, int newFd) {
        try {
            return (int) Spawn.FA_ADDDUP2.invokeExact(actions, fd, newFd);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int fileActionsAddOpen(MemorySegment actions, int fd, MemorySegment path, int flags, int mode) {
        try {
            return (int) Spawn.FA_ADDOPEN.invokeExact(actions, fd, path, flags, mode);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int fileActionsAddClosefrom(MemorySegment actions, int from) {
        try {
            return (int) Spawn.FA_ADDCLOSEFROM.invokeExact(actions, from);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int fileActionsAddChdir(MemorySegment actions, MemorySegment path) {
        try {
            return (int) Spawn.FA_ADDCHDIR.invokeExact(actions, path);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int spawnattrInit(MemorySegment attributes) {
        try {
            return (int) Spawn.ATTR_INIT.invokeExact(attributes);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int spawnattrDestroy(MemorySegment attributes) {
        try {
            return (int) Spawn.ATTR_DESTROY.invokeExact(attributes);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int spawnattrSetflags(MemorySegment attributes, short flags) {
        try {
            return (int) Spawn.ATTR_SETFLAGS.invokeExact(attributes, flags);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int spawnattrSetsigmask(MemorySegment attributes, MemorySegment sigset) {
        try {
            return (int) Spawn.ATTR_SETSIGMASK.invokeExact(attributes, sigset);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int spawnattrSetsigdefault(MemorySegment attributes, MemorySegment sigset) {
        try {
            return (int) Spawn.ATTR_SETSIGDEFAULT.invokeExact(attributes, sigset);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** Closes fd, ignoring errors: for cleanup paths where an earlier failure is being reported. */
    static void closeQuietly(int fd) {
        if (fd < 0) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            close(errnoState(arena), fd);
        }
    }

    /** Closes fd; EINTR still closes on Linux, so it is not retried (a retry could close a reused fd). */
    static void closeChecked(int fd, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = errnoState(arena);
            if (close(err, fd) != 0 && errno(err) != Errno.EINTR) {
                throw new NativeException("close", what, errno(err));
            }
        }
    }
}
