package dev.herd.supervisor;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds a worker's environment from the master's: what it inherits, what it must not, and who it is. */
final class WorkerEnvironment {

    /**
     * Variables never passed on: JVM option variables given to the master would change every worker JVM
     * (and print a banner into its log), and the master's own socket-activation variables describe the
     * master's fds, not the worker's.
     */
    static final List<String> DROPPED = List.of(
            "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS", "JAVA_TOOL_OPTIONS",
            "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET", "HERD_LAUNCHER", "HERD_SUCCESSOR_OF",
            "HERD_OVERLOAD_RECYCLE_MS");

    private WorkerEnvironment() {
    }

    /**
     * @param port        the cluster's public port
     * @param privatePort proxy and nat modes: the port this worker must listen on (also given as {@code PORT}); else 0
     * @param privateHost the address to listen on with the private port (given as {@code HERD_HOST})
     */
    static Map<String, String> build(Map<String, String> master, int slot, int generation, int port,
                                     int socketFd, Path notifySocket, int privatePort, String privateHost) {
        return build(master, Map.of(), slot, generation, port, socketFd, notifySocket, privatePort, privateHost, null,
                0, -1);
    }

    /**
     * @param given           variables the settings give the workers (--env, an upgrade's): on top of the master's,
     *                        none dropped; Herd's own come last
     * @param channel         the worker's channel socket ({@code HERD_CHANNEL}), or null
     * @param watchdogMillis  the watchdog timeout ({@code HERD_WATCHDOG_MS}), 0 when off
     * @param drainMillis     the cluster's {@code --drain-timeout} ({@code HERD_DRAIN_TIMEOUT_MS}): how long the worker
     *                        has after SIGTERM before SIGKILL, so that its own shutdown can fit; negative: not given
     */
    static Map<String, String> build(Map<String, String> master, Map<String, String> given, int slot, int generation,
                                     int port, int socketFd, Path notifySocket, int privatePort, String privateHost,
                                     Path channel, long watchdogMillis, long drainMillis) {
        Map<String, String> env = new LinkedHashMap<>(master);
        DROPPED.forEach(env::remove);
        env.putAll(given); // --env, --env-file, an upgrade's --env: meant for the workers, JAVA_TOOL_OPTIONS too
        env.put("HERD_WORKER_ID", Integer.toString(slot));
        env.put("WORKER_ID", Integer.toString(slot));
        env.put("HERD_GENERATION", Integer.toString(generation));
        if (privatePort > 0) {
            env.put("HERD_PORT", Integer.toString(privatePort));
            env.put("PORT", Integer.toString(privatePort));
            env.put("HERD_HOST", privateHost);
            env.put("HERD_PUBLIC_PORT", Integer.toString(port));
        } else {
            env.put("HERD_PORT", Integer.toString(port));
            env.put("HERD_SOCKET_FD", Integer.toString(socketFd));
            env.remove("HERD_HOST");
        }
        env.put("HERD_MASTER_PID", Long.toString(ProcessHandle.current().pid()));
        env.put("NOTIFY_SOCKET", notifySocket.toString());
        env.remove("HERD_CHANNEL");
        env.remove("HERD_WATCHDOG_MS");
        env.remove("HERD_DRAIN_TIMEOUT_MS");
        if (drainMillis >= 0) {
            env.put("HERD_DRAIN_TIMEOUT_MS", Long.toString(drainMillis));
        }
        if (channel != null) {
            env.put("HERD_CHANNEL", channel.toString());
        }
        if (watchdogMillis > 0) {
            env.put("HERD_WATCHDOG_MS", Long.toString(watchdogMillis));
        }
        return env;
    }
}
