package dev.herd.supervisor;

import dev.herd.command.Containment;


import dev.herd.os.ExitStatus;
import dev.herd.os.Signal;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The supervisor's edge to the operating system: start worker processes, signal them, and look at them.
 * Exits and notify datagrams come back asynchronously through the {@link Callbacks} given at launch, from
 * other threads; the supervisor turns them into inbox messages.
 */
public interface WorkerLauncher {

    /**
     * What to start for one worker.
     *
     * @param env           its whole environment
     * @param deploymentEnv what its deployment adds to the master's environment (recorded for a later adoption)
     * @param sequence      the number in its notify and channel socket names
     * @param port          proxy mode: the private port the worker must listen on, else 0
     */
    record Plan(int slot, int generation, List<String> argv, Map<String, String> env, Map<String, String> deploymentEnv,
                long sequence, Path logFile, Path notifySocket, int port, Path channelSocket) {
    }

    /** Called from launcher threads, never from the supervisor thread. */
    interface Callbacks {
        void exited(long pid, ExitStatus status);

        void notified(long pid, String datagram);

        /** A line the worker wrote on its channel (docs/protocol.md); {@link dev.herd.wire.WorkerProtocol#TOO_LONG} for one too long. */
        default void channelLine(long pid, String line) {
        }
    }

    /** Starts the worker and watches it; throws when the process could not be started. */
    long launch(Plan plan, Callbacks callbacks);

    /**
     * Watches a worker an earlier master started, as if this one had launched it: its exit through its pidfd (with
     * an unknown status: it is not this process's child), its notify and channel sockets bound again at their
     * paths. False when it is gone (or its pid names another process now).
     */
    default boolean adopt(AdoptedWorker worker, Callbacks callbacks) {
        return false;
    }

    /** Signals the worker's whole process group (it is a session leader); false when it is already gone. */
    boolean signal(long pid, Signal signal);

    /**
     * SIGKILLs what is left of an exited worker's process group and of its cgroup (where it has one): children it
     * forked would otherwise keep the socket open and serve stale code with nobody supervising them.
     */
    void killLeftovers(long pid);

    /** How workers are contained: their own cgroup each, or their process group only (and why). */
    default Containment containment() {
        return Containment.processGroup("not started by the OS launcher");
    }

    /**
     * Lowers the whole worker's CPU priority (it is retired and draining, the new generation should win the CPU).
     * Returns how, or why it could not; never throws.
     */
    String deprioritise(long pid, int nice);

    /** Whether the worker still holds a descriptor of the cluster's socket, so that it may still accept on it. */
    boolean holdsSocket(long pid);

    /** Whether the worker is accepting connections on the cluster's socket (readiness {@code listening}). */
    boolean isAccepting(long pid);

    /** Memory and CPU a worker uses now. */
    record Usage(long rssBytes, double cpuSeconds) {
        static final Usage UNKNOWN = new Usage(0, 0);
    }

    /** What the worker uses now, read from the OS; {@link Usage#UNKNOWN} when it cannot be read. */
    default Usage usage(long pid) {
        return Usage.UNKNOWN;
    }

    /**
     * Resident memory of the worker and what it started (the processes of its cgroup, else its children), for
     * {@code --max-memory}: cheap enough to read a few times a second per worker; 0 when it cannot be read.
     */
    default long residentBytes(long pid) {
        return usage(pid).rssBytes();
    }

    /** Writes a line to the worker's channel; false when it has not connected (or is gone). */
    default boolean send(long pid, String line) {
        return false;
    }

    /** Stops watching the worker's notify socket and removes it; called once the worker has exited. */
    void release(long pid);
}
