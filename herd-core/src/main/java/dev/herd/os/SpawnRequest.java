package dev.herd.os;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What to start and how.
 *
 * @param argv program and arguments; a program without '/' is searched in the request env's PATH
 *     (the master's PATH when the env has none)
 * @param env the worker's whole environment: nothing of the master's is added
 * @param workingDirectory null to inherit the master's
 * @param listenFd the master's listening socket to hand over, or -1 for none
 * @param listenTargetFd 0 (inetd style, {@code System.inheritedChannel()}) or 3 (systemd style,
 *     with LISTEN_FDS=1 and LISTEN_PID)
 * @param logFile stdout and stderr are appended here (created 0644); null sends them to /dev/null
 * @param cgroupProcs the {@code cgroup.procs} file of the cgroup the worker must run in, or null to leave it
 *     in the master's
 * @param setup umask, open-files limit and user to switch to ({@link ProcessSetup#NONE}: the master's)
 */
public record SpawnRequest(
        List<String> argv,
        Map<String, String> env,
        Path workingDirectory,
        int listenFd,
        int listenTargetFd,
        Path logFile,
        Path cgroupProcs,
        ProcessSetup setup) {

    /** A request that sets up nothing beyond what posix_spawn does. */
    public SpawnRequest(List<String> argv, Map<String, String> env, Path workingDirectory, int listenFd,
                        int listenTargetFd, Path logFile, Path cgroupProcs) {
        this(argv, env, workingDirectory, listenFd, listenTargetFd, logFile, cgroupProcs, ProcessSetup.NONE);
    }

    /** A request that leaves the process in the master's cgroup. */
    public SpawnRequest(List<String> argv, Map<String, String> env, Path workingDirectory, int listenFd,
                        int listenTargetFd, Path logFile) {
        this(argv, env, workingDirectory, listenFd, listenTargetFd, logFile, null);
    }

    public SpawnRequest {
        argv = List.copyOf(argv);
        env = Map.copyOf(env);
        java.util.Objects.requireNonNull(setup, "setup");
        if (argv.isEmpty() || argv.get(0).isEmpty()) {
            throw new IllegalArgumentException("argv needs a program");
        }
        if (listenFd >= 0 && listenTargetFd != 0 && listenTargetFd != 3) {
            throw new IllegalArgumentException("listenTargetFd must be 0 or 3, not " + listenTargetFd);
        }
        for (String key : env.keySet()) {
            if (key.isEmpty() || key.indexOf('=') >= 0) {
                throw new IllegalArgumentException("bad environment variable name '" + key + "'");
            }
        }
    }
}
