package dev.herd.supervisor;

import dev.herd.Event.ExitReason;

/** One worker process as the supervisor sees it. Mutated only on the supervisor thread. */
final class WorkerProcess {
    final int slot;
    final int generation;
    final long pid;
    final long spawnedAtNanos;
    /** Proxy and nat modes: the private port the worker listens on; 0 when it accepts on an inherited socket. */
    final int port;
    WorkerState state = WorkerState.STARTING;
    long readyAtNanos;
    /** It became ready at some point: an unexpected exit before that is a failed start. */
    boolean wasReady;
    /** {@link WorkerOutput#mark} of its slot's output when it was spawned: what it wrote comes after. */
    long outputMark;
    /** Set when the master decided this worker should end, so its exit is not a crash. */
    ExitReason stopReason;
    String status;
    /** Replaced by a newer generation and draining. */
    boolean retired;
    /** SIGTERM was sent (a retired worker may still be in its grace period, not yet told). */
    boolean termSent;
    /** When the worker last sent a heartbeat (0: never, so the watchdog leaves it alone). */
    long lastHeartbeatNanos;
    /** The watchdog found it hung: it is replaced, then killed rather than asked to drain. */
    boolean hung;
    /** Connections and requests served, as the worker last reported them (0 when it does not). */
    long connections;
    long requests;
    /** Malformed channel lines seen, for logging the first ones and then only now and then. */
    int badLines;

    WorkerProcess(int slot, int generation, long pid, long spawnedAtNanos, int port) {
        this.port = port;
        this.slot = slot;
        this.generation = generation;
        this.pid = pid;
        this.spawnedAtNanos = spawnedAtNanos;
    }

    boolean live() {
        return state != WorkerState.EXITED;
    }
}
