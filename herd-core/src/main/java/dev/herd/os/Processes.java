package dev.herd.os;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Optional;

/**
 * waitpid and kill for the master's children. Never reaps any child but the one named: the JVM may have other
 * children ({@link #anyChildExited} only looks).
 */
public final class Processes {
    private Processes() {}

    /**
     * Blocks until the child exits and reaps it. Call on a platform thread: a blocking downcall pins
     * a virtual thread's carrier.
     *
     * @throws NativeException ECHILD when pid is not an unreaped child of this process
     */
    public static ExitStatus waitFor(int pid) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoState(arena);
            MemorySegment status = arena.allocate(JAVA_INT);
            while (true) {
                int rc = Libc.waitpid(err, pid, status, 0);
                if (rc == pid) {
                    return ExitStatus.fromWaitStatus(status.get(JAVA_INT, 0));
                }
                int errno = Libc.errno(err);
                if (rc < 0 && errno != Errno.EINTR) {
                    throw new NativeException("waitpid", Integer.toString(pid), errno);
                }
            }
        }
    }

    /** Reaps the child if it has exited; empty while it runs. Does not block. */
    public static Optional<ExitStatus> poll(int pid) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoState(arena);
            MemorySegment status = arena.allocate(JAVA_INT);
            while (true) {
                int rc = Libc.waitpid(err, pid, status, Libc.WNOHANG);
                if (rc == pid) {
                    return Optional.of(ExitStatus.fromWaitStatus(status.get(JAVA_INT, 0)));
                }
                if (rc == 0) {
                    return Optional.empty();
                }
                int errno = Libc.errno(err);
                if (errno != Errno.EINTR) {
                    throw new NativeException("waitpid", pid + ", WNOHANG", errno);
                }
            }
        }
    }

    /**
     * Whether any child of this process (of any of its threads) has exited and is not reaped yet, without reaping
     * it (waitid with WNOWAIT): one system call, where listing each thread's children costs a read per thread. The
     * zombie stays for whoever waits for it (the JDK's reaper, the worker watch).
     */
    public static boolean anyChildExited() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoState(arena);
            MemorySegment info = arena.allocate(Libc.SIGINFO_SIZE); // zeroed: si_pid stays 0 when none has exited
            while (true) {
                int rc = Libc.waitid(err, Libc.P_ALL, 0, info,
                        Libc.WEXITED | Libc.WNOHANG | Libc.WNOWAIT | Libc.WALL);
                if (rc == 0) {
                    return info.get(JAVA_INT, Libc.SIGINFO_PID_OFFSET) != 0;
                }
                int errno = Libc.errno(err);
                if (errno == Errno.ECHILD) {
                    return false; // no children at all
                }
                if (errno != Errno.EINTR) {
                    throw new NativeException("waitid", "P_ALL, WEXITED|WNOHANG|WNOWAIT", errno);
                }
            }
        }
    }

    /**
     * Makes this process the reaper of its descendants' orphans (PR_SET_CHILD_SUBREAPER): a process a worker started
     * and left behind becomes this one's child instead of init's, so the master sees it and reaps it.
     *
     * @throws NativeException when the kernel refuses
     */
    public static void becomeSubreaper() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoState(arena);
            if (Libc.prctl(err, Libc.PR_SET_CHILD_SUBREAPER, 1) != 0) {
                throw new NativeException("prctl", "PR_SET_CHILD_SUBREAPER", Libc.errno(err));
            }
        }
    }

    /** Sends the signal; false when the process does not exist (ESRCH). */
    public static boolean signal(int pid, Signal signal) {
        if (pid <= 0) {
            throw new IllegalArgumentException("pid must be positive, not " + pid); // 0/-1 would hit groups
        }
        return kill(pid, signal.number(), "pid " + pid + ", SIG" + signal.name());
    }

    /** Sends the signal to every process of the group; false when the group is empty (ESRCH). */
    public static boolean signalGroup(int pgid, Signal signal) {
        if (pgid <= 1) {
            throw new IllegalArgumentException("process group must be > 1, not " + pgid);
        }
        return kill(-pgid, signal.number(), "group " + pgid + ", SIG" + signal.name());
    }

    /**
     * Whether a process with this pid exists (kill(pid, 0)). A zombie counts as alive until reaped;
     * EPERM (exists, owned by someone else) counts as alive.
     */
    public static boolean isAlive(int pid) {
        if (pid <= 0) {
            throw new IllegalArgumentException("pid must be positive, not " + pid);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoState(arena);
            if (Libc.kill(err, pid, 0) == 0) {
                return true;
            }
            int errno = Libc.errno(err);
            if (errno == Errno.ESRCH) {
                return false;
            }
            if (errno == Errno.EPERM) {
                return true;
            }
            throw new NativeException("kill", "pid " + pid + ", 0", errno);
        }
    }

    public static int currentPid() {
        return Libc.getpid();
    }

    private static boolean kill(int target, int signal, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoState(arena);
            if (Libc.kill(err, target, signal) == 0) {
                return true;
            }
            int errno = Libc.errno(err);
            if (errno == Errno.ESRCH) {
                return false;
            }
            throw new NativeException("kill", what, errno);
        }
    }
}
