package dev.herd.supervisor;

/** A stable position in the pool (HERD_WORKER_ID): it holds one worker at a time and keeps its crash history. */
final class Slot {
    final int id;
    final CrashBudget budget;
    RestartBackoff backoff;
    WorkerProcess worker;
    boolean failed;
    boolean restartPending;

    Slot(int id, CrashBudget budget, RestartBackoff backoff) {
        this.id = id;
        this.budget = budget;
        this.backoff = backoff;
    }

    WorkerState state() {
        if (failed) {
            return WorkerState.FAILED;
        }
        return worker == null ? WorkerState.EXITED : worker.state;
    }
}
