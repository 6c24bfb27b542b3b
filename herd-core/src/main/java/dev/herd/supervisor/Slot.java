package dev.herd.supervisor;

import dev.herd.command.ClusterStatus;

/** A stable position in the pool (HERD_WORKER_ID): it holds one worker at a time and keeps its crash history. */
final class Slot {
    final int id;
    final CrashBudget budget;
    RestartBackoff backoff;
    /** What the slot's worker runs; a crash replacement runs the same. */
    Deployment deployment;
    /** The worker serving this slot. */
    WorkerProcess worker;
    /** A new generation's worker that a rollout is starting for this slot; it takes over once ready. */
    WorkerProcess incoming;
    boolean failed;
    boolean restartPending;
    /** Restarts after a crash or failed start since the master started, for status and metrics. */
    int restarts;
    /** Stopped by an operator ({@code shutdown}): not restarted until {@code restart}. */
    boolean stopped;
    /** Gone after a scale down (its worker may still be draining); a scale up brings it back. */
    boolean removed;
    /** The last unexpected exit since a worker of this slot was last ready, for status; null when none. */
    ClusterStatus.LastFailure lastFailure;

    Slot(int id, CrashBudget budget, RestartBackoff backoff, Deployment deployment) {
        this.id = id;
        this.budget = budget;
        this.backoff = backoff;
        this.deployment = deployment;
    }

    /** Whether reloads and crash restarts look after this slot. */
    boolean running() {
        return !failed && !stopped && !removed;
    }

    WorkerState state() {
        if (failed) {
            return WorkerState.FAILED;
        }
        return worker == null ? WorkerState.EXITED : worker.state;
    }
}
