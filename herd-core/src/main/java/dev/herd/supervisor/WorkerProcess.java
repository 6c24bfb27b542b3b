package dev.herd.supervisor;

import dev.herd.command.WorkerState;

import dev.herd.Event.ExitReason;
import dev.herd.os.ExitStatus;
import dev.herd.os.Signal;
import dev.herd.wire.WorkerProtocol;

import java.time.Duration;

/**
 * One worker process as the supervisor sees it, and the only code that moves it through its lifecycle: each
 * transition records why the master wants it gone (so its exit is judged a crash or not) before the signal that
 * makes it go. Mutated only on the supervisor thread.
 */
final class WorkerProcess {
    private final WorkerLauncher launcher;
    private final int slot;
    private final int generation;
    private final long pid;
    private final long spawnedAtNanos;
    /** Proxy and nat modes: the private port the worker listens on; 0 when it accepts on an inherited socket. */
    private final int port;
    /** {@link WorkerOutput#mark} of its slot's output when it was spawned: what it wrote comes after. */
    private final long outputMark;
    private WorkerState state = WorkerState.STARTING;
    private long readyAtNanos;
    /** It became ready at some point: an unexpected exit before that is a failed start. */
    private boolean wasReady;
    /** Set when the master decided this worker should end, so its exit is not a crash. */
    private ExitReason stopReason;
    private String status;
    /** Left its slot (replaced, shut down, scaled away) and drains. */
    private boolean retired;
    /** SIGTERM was sent (a retired worker may still be in its grace period, not yet told). */
    private boolean termSent;
    /** When the worker last sent a heartbeat (0: never, so the watchdog leaves it alone). */
    private long lastHeartbeatNanos;
    /** The watchdog found it hung: it is replaced, then killed rather than asked to drain. */
    private boolean hung;
    /** Connections and requests served, as the worker last reported them (0 when it does not). */
    private long connections;
    private long requests;
    /** Since when it reported itself overloaded, 0 while it does not. */
    private long overloadedSince;
    /** Malformed channel lines seen, for logging the first ones and then only now and then. */
    private int badLines;
    /** Taken over from an earlier master: not this master's child, so its exit status is unknown. */
    private boolean adopted;

    WorkerProcess(WorkerLauncher launcher, int slot, int generation, long pid, long spawnedAtNanos, int port,
                  long outputMark) {
        this.launcher = launcher;
        this.slot = slot;
        this.generation = generation;
        this.pid = pid;
        this.spawnedAtNanos = spawnedAtNanos;
        this.port = port;
        this.outputMark = outputMark;
    }

    /**
     * A worker an earlier master started, as this one takes it over: ready if it was ready there (its readiness is
     * not seen again), else still starting.
     */
    static WorkerProcess adopted(WorkerLauncher launcher, int slot, int generation, long pid, long spawnedAtNanos,
                                 int port, long outputMark, boolean ready, long nowNanos) {
        WorkerProcess worker = new WorkerProcess(launcher, slot, generation, pid, spawnedAtNanos, port, outputMark);
        worker.adopted = true;
        if (ready) {
            worker.markReady(nowNanos);
        }
        return worker;
    }

    boolean adopted() {
        return adopted;
    }

    int slot() {
        return slot;
    }

    int generation() {
        return generation;
    }

    long pid() {
        return pid;
    }

    int port() {
        return port;
    }

    long spawnedAtNanos() {
        return spawnedAtNanos;
    }

    long outputMark() {
        return outputMark;
    }

    WorkerState state() {
        return state;
    }

    boolean live() {
        return state != WorkerState.EXITED;
    }

    boolean starting() {
        return state == WorkerState.STARTING;
    }

    /** Ready and not draining: it takes connections for its slot. */
    boolean serving() {
        return state == WorkerState.READY;
    }

    boolean wasReady() {
        return wasReady;
    }

    boolean retired() {
        return retired;
    }

    boolean hung() {
        return hung;
    }

    String status() {
        return status;
    }

    long connections() {
        return connections;
    }

    /**
     * The connections it served: what it reports, or what the master counted going to it (proxy and nat modes) when
     * that is more (an app that reports nothing).
     */
    long connections(dev.herd.listen.Listeners listeners) {
        return Math.max(connections, listeners.connectionsCounted(pid, port));
    }

    long requests() {
        return requests;
    }

    long lastHeartbeatNanos() {
        return lastHeartbeatNanos;
    }

    Duration uptime(long nowNanos) {
        return Duration.ofNanos(nowNanos - spawnedAtNanos);
    }

    // ---- what the worker tells the master ----

    /** STARTING → READY; false when it was not starting (already ready, draining or gone). */
    boolean markReady(long nowNanos) {
        if (state != WorkerState.STARTING) {
            return false;
        }
        state = WorkerState.READY;
        wasReady = true;
        readyAtNanos = nowNanos;
        return true;
    }

    Duration startup() {
        return Duration.ofNanos(readyAtNanos - spawnedAtNanos);
    }

    /**
     * The worker announced it is going away: it no longer counts as serving. Whether its exit is a crash is still
     * judged by who asked for it (nobody did, unless the master is stopping it). False when already draining.
     */
    boolean announcedStopping() {
        if (!live() || state == WorkerState.DRAINING) {
            return false;
        }
        state = WorkerState.DRAINING;
        return true;
    }

    /** Its new status line; false when unchanged. */
    boolean statusChanged(String newStatus) {
        if (newStatus == null || newStatus.equals(status)) {
            return false;
        }
        status = newStatus;
        return true;
    }

    void heartbeat(long nowNanos) {
        lastHeartbeatNanos = nowNanos;
    }

    /** Since when the worker says it is overloaded ({@link System#nanoTime}-like), 0 while it is not. */
    long overloadedSinceNanos() {
        return overloadedSince;
    }

    /** For how long the worker has said it is overloaded, in milliseconds; 0 while it does not. */
    long overloadedMillis(long nowNanos) {
        return overloadedSince == 0 ? 0 : java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(nowNanos - overloadedSince);
    }

    void overloaded(boolean overloaded, long nowNanos) {
        if (!overloaded) {
            overloadedSince = 0;
        } else if (overloadedSince == 0) {
            overloadedSince = nowNanos == 0 ? 1 : nowNanos;
        }
    }

    void counters(long connections, long requests) {
        this.connections = connections;
        this.requests = requests;
    }

    /** Counts a malformed channel line; returns how many so far. */
    int badLine() {
        return ++badLines;
    }

    // ---- what the master does to the worker ----

    /** The watchdog found it silent too long: it is replaced and then killed rather than asked to drain. */
    void markHung() {
        hung = true;
    }

    /** It leaves its slot (replaced, shut down, scaled away): it no longer serves; the drain follows. */
    void retire() {
        stopReason = ExitReason.STOPPED;
        state = WorkerState.DRAINING;
        retired = true;
    }

    /**
     * The drain message on its channel (for apps that do not handle signals) and SIGTERM, once; false when it was
     * already told.
     */
    boolean drain() {
        if (termSent) {
            return false;
        }
        if (stopReason == null) {
            stopReason = ExitReason.STOPPED;
        }
        state = WorkerState.DRAINING;
        termSent = true;
        launcher.send(pid, WorkerProtocol.line("drain"));
        launcher.signal(pid, Signal.TERM);
        return true;
    }

    /** A retired hung worker cannot drain: SIGKILL instead of the drain, once. */
    boolean killInsteadOfDrain() {
        if (termSent) {
            return false;
        }
        termSent = true;
        kill(ExitReason.KILLED);
        return true;
    }

    /** SIGKILL, recording why: its exit reports that reason. */
    void kill(ExitReason why) {
        stopReason = why;
        launcher.signal(pid, Signal.KILL);
    }

    /**
     * SIGKILL, keeping the reason already given (a drain that ran out of time: a stopped worker killed reports
     * {@code killed}; one nobody asked to stop stays a crash).
     */
    void forceKill() {
        launcher.signal(pid, Signal.KILL);
    }

    /** A rollout's new worker no longer wanted (its rollout failed): killed, and its exit is no crash. */
    void abandon() {
        if (live() && stopReason == null) {
            stopReason = ExitReason.STOPPED;
            state = WorkerState.DRAINING;
            launcher.signal(pid, Signal.KILL);
        }
    }

    /** Still starting and nobody asked it to stop: at the start timeout it is killed. */
    boolean startingUnasked() {
        return state == WorkerState.STARTING && stopReason == null;
    }

    /** It is gone; returns why, judged by whether the master asked for it. */
    ExitReason exited(ExitStatus status) {
        state = WorkerState.EXITED;
        if (stopReason == null) {
            return ExitReason.CRASH;
        }
        if (stopReason == ExitReason.STOPPED && status.signaled() && status.signal() == Signal.KILL.number()) {
            return ExitReason.KILLED;
        }
        return stopReason;
    }
}
