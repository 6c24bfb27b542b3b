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
    private static final long ERRNO_OFFSET = errnoOffset();
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
    static final int SO_ACCEPTCONN = 30;
    static final int SO_PEERCRED = 17;
    static final int SO_TYPE = 3;
    static final int SO_DOMAIN = 39;
    static final int F_DUPFD_CLOEXEC = 1030;
    static final int SCM_RIGHTS = 1;
    static final int MSG_CTRUNC = 0x8;
    static final int MSG_NOSIGNAL = 0x4000;
    static final int MSG_CMSG_CLOEXEC = 0x40000000;
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
    static final int WEXITED = 4;
    static final int WNOWAIT = 0x01000000;
    static final int WALL = 0x40000000; // __WALL: clone children too
    static final int P_ALL = 0;
    static final long SIGINFO_SIZE = 128;
    static final long SIGINFO_PID_OFFSET = 16; // si_pid of a SIGCHLD siginfo_t, after signo, errno, code and padding
    static final short POLLIN = 1;
    static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    static final short POSIX_SPAWN_SETSID = 0x80;
    static final int O_RDWR = 0x2;
    static final int FALLOC_FL_KEEP_SIZE = 0x01;
    static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    static final int O_CLOEXEC = 0x80000;
    static final int SC_CLK_TCK = 2;
    static final int SC_PAGESIZE = 30;

    static final long SPAWN_FILE_ACTIONS_SIZE = 80;
    static final long SPAWNATTR_SIZE = 336;
    static final long SIGSET_SIZE = 128;
    static final long POLLFD_SIZE = 8;

    // System call numbers of Linux x86_64 (asm/unistd_64.h), the one platform Herd runs on (docs/native-notes.md).
    static final long SYS_READ = 0;
    static final long SYS_WRITE = 1;
    static final long SYS_CLOSE = 3;
    static final long SYS_POLL = 7;
    static final long SYS_GETPID = 39;
    static final long SYS_SOCKET = 41;
    static final long SYS_CONNECT = 42;
    static final long SYS_SENDTO = 44;
    static final long SYS_RECVFROM = 45;
    static final long SYS_SENDMSG = 46;
    static final long SYS_RECVMSG = 47;
    static final long SYS_SHUTDOWN = 48;
    static final long SYS_BIND = 49;
    static final long SYS_LISTEN = 50;
    static final long SYS_GETSOCKNAME = 51;
    static final long SYS_SETSOCKOPT = 54;
    static final long SYS_GETSOCKOPT = 55;
    static final long SYS_WAIT4 = 61;
    static final long SYS_WAITID = 247;
    static final long SYS_FCNTL = 72;
    static final long SYS_PRCTL = 157;
    static final int PR_SET_CHILD_SUBREAPER = 36;
    static final long SYS_KILL = 62;
    static final long SYS_GETEUID = 107;
    static final long SYS_OPENAT = 257;
    static final long SYS_FALLOCATE = 285;
    static final long SYS_SIGNALFD4 = 289;
    static final long SYS_EVENTFD2 = 290;
    static final long SYS_DUP3 = 292;
    static final long SYS_ACCEPT4 = 288;
    static final long SYS_INOTIFY_INIT1 = 294;
    static final long SYS_INOTIFY_ADD_WATCH = 254;
    static final long SYS_PIDFD_OPEN = 434;
    static final long SYS_PIDFD_GETFD = 438;
    private static final long AT_FDCWD = -100;

    /**
     * syscall(2) with six arguments: every call below that is a system call goes through this one handle. Making a
     * downcall handle costs milliseconds of CPU for each distinct signature (the JDK spins and loads classes for it;
     * handles of one signature share them), and before the master listens it made a dozen: about 60 ms of its start
     * (docs/benchmarks.md, "Master footprint"). glibc's syscall() reads six arguments whatever the call takes, and the
     * kernel ignores those a call does not use, so the unused ones are zeros.
     */
    private static final MethodHandle SYSCALL = LINKER.downcallHandle(symbol("syscall"),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            ERRNO_OPTION, Linker.Option.firstVariadicArg(1));

    static {
        // A C library without one of these fails here, at start-up, not when a worker is first spawned or an error
        // first described (a lookup costs nothing next to making a downcall handle).
        for (String name : new String[] {"posix_spawnp", "posix_spawn_file_actions_init",
                "posix_spawn_file_actions_destroy", "posix_spawn_file_actions_adddup2", "posix_spawn_file_actions_addopen",
                "posix_spawn_file_actions_addclosefrom_np", "posix_spawn_file_actions_addchdir_np", "posix_spawnattr_init",
                "posix_spawnattr_destroy", "posix_spawnattr_setflags", "posix_spawnattr_setsigmask",
                "posix_spawnattr_setsigdefault", "strerror", "sysconf"}) {
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

    /** C library functions that are not system calls, needed only once workers run or on errors: made on first use. */
    private static final class Later {
        static final MethodHandle SYSCONF = errnoCall("sysconf", JAVA_LONG, JAVA_INT);
        static final MethodHandle STRERROR = plainCall("strerror", ADDRESS, JAVA_INT);
        static final MethodHandle STRERRORNAME =
                LOOKUP.find("strerrorname_np").isPresent() ? plainCall("strerrorname_np", ADDRESS, JAVA_INT) : null;
    }

    /** The user and group database (NSS: /etc/passwd, /etc/group, LDAP, ...): made when --user or --group is given. */
    private static final class Accounts {
        static final MethodHandle GETPWNAM_R =
                plainCall("getpwnam_r", JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS);
        static final MethodHandle GETPWUID_R =
                plainCall("getpwuid_r", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS);
        static final MethodHandle GETGRNAM_R =
                plainCall("getgrnam_r", JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS);
        static final MethodHandle GETGRGID_R =
                plainCall("getgrgid_r", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS);
        static final MethodHandle GETGROUPLIST =
                plainCall("getgrouplist", JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
    }

    /** getpwnam_r(3): 0 and {@code result} set to {@code pwd} when found, 0 and NULL when not, else an errno. */
    static int getpwnam(MemorySegment name, MemorySegment pwd, MemorySegment buffer, MemorySegment result) {
        try {
            return (int) Accounts.GETPWNAM_R.invokeExact(name, pwd, buffer, buffer.byteSize(), result);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int getpwuid(int uid, MemorySegment pwd, MemorySegment buffer, MemorySegment result) {
        try {
            return (int) Accounts.GETPWUID_R.invokeExact(uid, pwd, buffer, buffer.byteSize(), result);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int getgrnam(MemorySegment name, MemorySegment grp, MemorySegment buffer, MemorySegment result) {
        try {
            return (int) Accounts.GETGRNAM_R.invokeExact(name, grp, buffer, buffer.byteSize(), result);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int getgrgid(int gid, MemorySegment grp, MemorySegment buffer, MemorySegment result) {
        try {
            return (int) Accounts.GETGRGID_R.invokeExact(gid, grp, buffer, buffer.byteSize(), result);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** getgrouplist(3): the count, or -1 with {@code count} set to the room needed. */
    static int getgrouplist(MemorySegment user, int group, MemorySegment groups, MemorySegment count) {
        try {
            return (int) Accounts.GETGROUPLIST.invokeExact(user, group, groups, count);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    private Libc() {}

    /**
     * Where errno lies in the capture segment, summed from the layout's members: a layout path (or a VarHandle on one)
     * would say the same, but its first use costs 5 ms of the master's start.
     */
    private static long errnoOffset() {
        long offset = 0;
        for (MemoryLayout member : CAPTURE.memberLayouts()) {
            if (member.name().filter("errno"::equals).isPresent()) {
                return offset;
            }
            offset += member.byteSize();
        }
        throw new UnsatisfiedLinkError("the JDK's capture state layout has no errno: " + CAPTURE);
    }

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
        return state.get(JAVA_INT, ERRNO_OFFSET);
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

    /** syscall(2): the result, or -1 with errno in {@code err}; pointer arguments as their segments' addresses. */
    static long syscall6(MemorySegment err, long number, long a0, long a1, long a2, long a3, long a4, long a5) {
        try {
            return (long) SYSCALL.invokeExact(err, number, a0, a1, a2, a3, a4, a5);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int socket(MemorySegment err, int domain, int type, int protocol) {
        return (int) syscall6(err, SYS_SOCKET, domain, type, protocol, 0, 0, 0);
    }

    static int setsockopt(MemorySegment err, int fd, int level, int name, MemorySegment value, int length) {
        return (int) syscall6(err, SYS_SETSOCKOPT, fd, level, name, value.address(), length, 0);
    }

    static int getsockopt(MemorySegment err, int fd, int level, int name, MemorySegment value, MemorySegment length) {
        return (int) syscall6(err, SYS_GETSOCKOPT, fd, level, name, value.address(), length.address(), 0);
    }

    static int bind(MemorySegment err, int fd, MemorySegment address, int length) {
        return (int) syscall6(err, SYS_BIND, fd, address.address(), length, 0, 0, 0);
    }

    static int listen(MemorySegment err, int fd, int backlog) {
        return (int) syscall6(err, SYS_LISTEN, fd, backlog, 0, 0, 0, 0);
    }

    static int connect(MemorySegment err, int fd, MemorySegment address, int length) {
        return (int) syscall6(err, SYS_CONNECT, fd, address.address(), length, 0, 0, 0);
    }

    static int accept4(MemorySegment err, int fd, int flags) {
        return (int) syscall6(err, SYS_ACCEPT4, fd, 0, 0, flags, 0, 0);
    }

    static long sendmsg(MemorySegment err, int fd, MemorySegment message, int flags) {
        return syscall6(err, SYS_SENDMSG, fd, message.address(), flags, 0, 0, 0);
    }

    static long recvmsg(MemorySegment err, int fd, MemorySegment message, int flags) {
        return syscall6(err, SYS_RECVMSG, fd, message.address(), flags, 0, 0, 0);
    }

    static int getsockname(MemorySegment err, int fd, MemorySegment address, MemorySegment length) {
        return (int) syscall6(err, SYS_GETSOCKNAME, fd, address.address(), length.address(), 0, 0, 0);
    }

    static int shutdown(MemorySegment err, int fd, int how) {
        return (int) syscall6(err, SYS_SHUTDOWN, fd, how, 0, 0, 0, 0);
    }

    static int open(MemorySegment err, MemorySegment path, int flags, int mode) {
        return (int) syscall6(err, SYS_OPENAT, AT_FDCWD, path.address(), flags, mode, 0, 0);
    }

    static int fallocate(MemorySegment err, int fd, int mode, long offset, long length) {
        return (int) syscall6(err, SYS_FALLOCATE, fd, mode, offset, length, 0, 0);
    }

    static int close(MemorySegment err, int fd) {
        return (int) syscall6(err, SYS_CLOSE, fd, 0, 0, 0, 0, 0);
    }

    static long recv(MemorySegment err, int fd, MemorySegment buffer, long length, int flags) {
        return syscall6(err, SYS_RECVFROM, fd, buffer.address(), length, flags, 0, 0);
    }

    static long sendto(MemorySegment err, int fd, MemorySegment buffer, long length, int flags,
            MemorySegment address, int addressLength) {
        return syscall6(err, SYS_SENDTO, fd, buffer.address(), length, flags, address.address(), addressLength);
    }

    static int poll(MemorySegment err, MemorySegment fds, long count, int timeoutMillis) {
        return (int) syscall6(err, SYS_POLL, fds.address(), count, timeoutMillis, 0, 0, 0);
    }

    static int kill(MemorySegment err, int pid, int signal) {
        return (int) syscall6(err, SYS_KILL, pid, signal, 0, 0, 0, 0);
    }

    static int waitpid(MemorySegment err, int pid, MemorySegment status, int options) {
        return (int) syscall6(err, SYS_WAIT4, pid, status.address(), options, 0, 0, 0);
    }

    static int waitid(MemorySegment err, int idType, int id, MemorySegment info, int options) {
        return (int) syscall6(err, SYS_WAITID, idType, id, info.address(), options, 0, 0);
    }

    static int getpid() {
        try (Arena arena = Arena.ofConfined()) {
            return (int) syscall6(errnoState(arena), SYS_GETPID, 0, 0, 0, 0, 0, 0); // never fails
        }
    }

    static int geteuid() {
        try (Arena arena = Arena.ofConfined()) {
            return (int) syscall6(errnoState(arena), SYS_GETEUID, 0, 0, 0, 0, 0, 0); // never fails
        }
    }

    static long sysconf(MemorySegment err, int name) {
        try {
            return (long) Later.SYSCONF.invokeExact(err, name);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static long syscall(MemorySegment err, long number, long arg0, long arg1) {
        return syscall6(err, number, arg0, arg1, 0, 0, 0, 0);
    }

    static long syscall(MemorySegment err, long number, long arg0, long arg1, long arg2) {
        return syscall6(err, number, arg0, arg1, arg2, 0, 0, 0);
    }

    static int prctl(MemorySegment err, int option, long arg) {
        return (int) syscall6(err, SYS_PRCTL, option, arg, 0, 0, 0, 0);
    }

    /** fcntl(F_DUPFD_CLOEXEC): a close-on-exec copy of {@code fd} at the lowest free number from {@code from}. */
    static int dupCloexec(MemorySegment err, int fd, int from) {
        return (int) syscall6(err, SYS_FCNTL, fd, F_DUPFD_CLOEXEC, from, 0, 0, 0);
    }

    static int dup3(MemorySegment err, int oldFd, int newFd, int flags) {
        return (int) syscall6(err, SYS_DUP3, oldFd, newFd, flags, 0, 0, 0);
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
