package dev.herd.os;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Starts workers with posix_spawn so that they never depend on the master: own session, default
 * signal dispositions and an empty signal mask, stdout/stderr appended to a log file (never a pipe, never
 * through a symbolic link),
 * the listening socket on fd 0 or 3, and no other inherited fds. What posix_spawn cannot do (join a cgroup, set
 * LISTEN_PID, the umask, the open-files limit, another user) a /bin/sh wrapper does before it execs the worker.
 */
public final class Spawner {
    /** Sets LISTEN_PID to the program's own pid: exec keeps the shell's pid. */
    private static final String SET_LISTEN_PID = "LISTEN_PID=$$; export LISTEN_PID; ";
    /**
     * Moves the wrapper into the worker's cgroup ($1) before it execs the worker, so that no code of the worker
     * ever runs outside it. posix_spawn cannot do this itself (glibc's posix_spawnattr_setcgroup_np, clone3's
     * CLONE_INTO_CGROUP, needs glibc 2.39), and writing the pid from the master after the spawn would leave
     * the worker running, and free to fork and setsid, until the write. The cost is one exec of /bin/sh.
     * A worker that cannot join is not started: it would be a worker the master cannot stop whole.
     */
    private static final String JOIN_CGROUP = "echo $$ 2>/dev/null >\"$1\" || { echo \"herd: cannot move the"
            + " worker into its cgroup (write to $1 failed), so it did not start; HERD_CGROUPS=off makes Herd use"
            + " process groups instead\" >&2; exit 125; }; shift; ";
    private static final String EXEC = "exec \"$@\"";
    private static final String SHELL = "/bin/sh";
    private static final String DEV_NULL = "/dev/null";
    private static final int LOG_MODE = 0644;

    private Spawner() {}

    /**
     * Spawns the request and returns the pid. The caller must reap it ({@link Processes#waitFor}).
     *
     * @throws NativeException naming the program when it is missing (ENOENT) or not executable
     *     (EACCES), or naming the failing posix_spawn step
     */
    public static int spawn(SpawnRequest request) {
        String program = ProgramPath.resolve(request.argv().get(0), request.env(), request.workingDirectory());
        boolean systemdStyle = request.listenFd() >= 0 && request.listenTargetFd() == 3;
        boolean ownCgroup = request.cgroupProcs() != null;

        Map<String, String> env = new TreeMap<>(request.env());
        List<String> argv = new ArrayList<>();
        String executable;
        if (systemdStyle) {
            env.put("LISTEN_FDS", "1");
            env.remove("LISTEN_PID");
        }
        ProcessSetup setup = request.setup();
        if (systemdStyle || ownCgroup || setup.changesAnything()) {
            executable = SHELL;
            String script = setup.shellPrefix() + (ownCgroup ? JOIN_CGROUP : "") + (systemdStyle ? SET_LISTEN_PID : "")
                    + EXEC;
            argv.addAll(List.of(SHELL, "-c", script, "sh"));
            if (ownCgroup) {
                argv.add(request.cgroupProcs().toString());
            }
            // the user switch comes last, once the cgroup is joined: as the worker's user the write would be refused
            argv.addAll(List.of(setup.switchWords()));
            argv.add(program);
            argv.addAll(request.argv().subList(1, request.argv().size()));
        } else {
            executable = program;
            argv.addAll(request.argv()); // argv[0] as the caller wrote it, for ps
        }

        try (Arena arena = Arena.ofConfined()) {
            MemorySegment actions = arena.allocate(Libc.SPAWN_FILE_ACTIONS_SIZE, 8);
            check(Libc.fileActionsInit(actions), "posix_spawn_file_actions_init", program);
            try {
                MemorySegment attributes = arena.allocate(Libc.SPAWNATTR_SIZE, 8);
                check(Libc.spawnattrInit(attributes), "posix_spawnattr_init", program);
                try {
                    addFileActions(arena, actions, request);
                    setAttributes(arena, attributes, program);
                    MemorySegment pid = arena.allocate(JAVA_INT);
                    int rc = Libc.posixSpawnp(pid, arena.allocateFrom(executable), actions, attributes,
                            stringArray(arena, argv), stringArray(arena, envStrings(env)));
                    if (rc != 0) {
                        throw new NativeException("posix_spawnp", describe(program, request), rc);
                    }
                    return pid.get(JAVA_INT, 0);
                } finally {
                    Libc.spawnattrDestroy(attributes);
                }
            } finally {
                Libc.fileActionsDestroy(actions);
            }
        }
    }

    private static void addFileActions(Arena arena, MemorySegment actions, SpawnRequest request) {
        int firstFree = 3;
        // dup2 first: a listen fd numbered 0..2 must be copied before those fds are replaced.
        if (request.listenFd() >= 0) {
            check(Libc.fileActionsAddDup2(actions, request.listenFd(), request.listenTargetFd()),
                    "posix_spawn_file_actions_adddup2", request.listenFd() + " -> " + request.listenTargetFd());
            if (request.listenTargetFd() == 3) {
                firstFree = 4;
            }
        }
        if (request.listenFd() < 0 || request.listenTargetFd() != 0) {
            // Never hand the master's stdin to a worker.
            check(Libc.fileActionsAddOpen(actions, 0, arena.allocateFrom(DEV_NULL), Libc.O_RDONLY, 0),
                    "posix_spawn_file_actions_addopen", "0 <- " + DEV_NULL);
        }
        String log = request.logFile() == null ? DEV_NULL : request.logFile().toAbsolutePath().toString();
        check(Libc.fileActionsAddOpen(actions, 1, arena.allocateFrom(log),
                        Libc.O_WRONLY | Libc.O_CREAT | Libc.O_APPEND | Libc.O_NOFOLLOW, LOG_MODE),
                "posix_spawn_file_actions_addopen", "1 -> " + log);
        check(Libc.fileActionsAddDup2(actions, 1, 2), "posix_spawn_file_actions_adddup2", "1 -> 2");
        // Without this the JVM's own non-CLOEXEC fds (lib/modules, ...) leak into every worker.
        check(Libc.fileActionsAddClosefrom(actions, firstFree), "posix_spawn_file_actions_addclosefrom_np",
                Integer.toString(firstFree));
        if (request.workingDirectory() != null) {
            Path wd = request.workingDirectory().toAbsolutePath();
            check(Libc.fileActionsAddChdir(actions, arena.allocateFrom(wd.toString())),
                    "posix_spawn_file_actions_addchdir_np", wd.toString());
        }
    }

    private static void setAttributes(Arena arena, MemorySegment attributes, String program) {
        short flags = (short) (Libc.POSIX_SPAWN_SETSID | Libc.POSIX_SPAWN_SETSIGMASK | Libc.POSIX_SPAWN_SETSIGDEF);
        check(Libc.spawnattrSetflags(attributes, flags), "posix_spawnattr_setflags", program);
        MemorySegment emptyMask = arena.allocate(Libc.SIGSET_SIZE, 8); // zeroed
        check(Libc.spawnattrSetsigmask(attributes, emptyMask), "posix_spawnattr_setsigmask", program);
        // Signals 1..64 are bits 0..63 of the first word; KILL and STOP cannot be reset.
        MemorySegment defaults = arena.allocate(Libc.SIGSET_SIZE, 8);
        long bits = -1L & ~(1L << (Signal.KILL.number() - 1)) & ~(1L << (Signal.STOP.number() - 1));
        defaults.set(JAVA_LONG, 0, bits);
        check(Libc.spawnattrSetsigdefault(attributes, defaults), "posix_spawnattr_setsigdefault", program);
    }

    private static List<String> envStrings(Map<String, String> env) {
        List<String> out = new ArrayList<>(env.size());
        env.forEach((k, v) -> out.add(k + "=" + v));
        return out;
    }

    /** A NULL-terminated char*[] in the arena. */
    private static MemorySegment stringArray(Arena arena, List<String> strings) {
        MemorySegment array = arena.allocate(ADDRESS, strings.size() + 1L);
        for (int i = 0; i < strings.size(); i++) {
            array.setAtIndex(ADDRESS, i, arena.allocateFrom(strings.get(i)));
        }
        array.setAtIndex(ADDRESS, strings.size(), MemorySegment.NULL);
        return array;
    }

    private static String describe(String program, SpawnRequest request) {
        StringBuilder sb = new StringBuilder(program);
        if (request.logFile() != null) {
            sb.append(", log ").append(request.logFile());
        }
        if (request.workingDirectory() != null) {
            sb.append(", cwd ").append(request.workingDirectory());
        }
        return sb.toString();
    }

    /** The posix_spawn* functions return the error number instead of setting errno. */
    private static void check(int rc, String call, String argument) {
        if (rc != 0) {
            throw new NativeException(call, argument, rc);
        }
    }
}
