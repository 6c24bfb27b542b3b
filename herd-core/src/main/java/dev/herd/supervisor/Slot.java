package dev.herd.supervisor;

import dev.herd.command.ClusterStatus;

/**
 * A stable position in the pool (HERD_WORKER_ID): it holds one worker at a time, keeps its crash history, and
 * knows the deployment it should run. A rollout changes what a slot should run ({@link #want}); the loop then
 * starts a worker of that deployment beside the current one ({@link #incoming}) and, once it is ready, lets it
 * take over ({@link #takeOver}). Mutated only on the supervisor thread.
 */
final class Slot {
    private final int id;
    private final CrashBudget budget;
    private final RestartBackoff initialBackoff;
    private RestartBackoff backoff;
    /** What the slot's worker runs; a crash replacement runs the same. */
    private Deployment deployment;
    /**
     * What the slot should run once converged, when that needs a new worker: another deployment (reload, upgrade,
     * rollback) or a fresh worker of the same one (restart, hung worker). Null when the worker it has is right.
     */
    private Deployment desired;
    /** The worker serving this slot. */
    private WorkerProcess worker;
    /** A worker of the desired deployment starting beside the current one; it takes over once ready. */
    private WorkerProcess incoming;
    private boolean failed;
    private boolean restartPending;
    /** Restarts after a crash or failed start since the master started, for status and metrics. */
    private int restarts;
    /** Stopped by an operator ({@code shutdown}): not restarted until {@code restart}. */
    private boolean stopped;
    /** Gone after a scale down (its worker may still be draining); a scale up brings it back. */
    private boolean removed;
    /** The last unexpected exit since a worker of this slot was last ready, for status; null when none. */
    private ClusterStatus.LastFailure lastFailure;

    Slot(int id, CrashBudget budget, RestartBackoff backoff, Deployment deployment) {
        this.id = id;
        this.budget = budget;
        this.initialBackoff = backoff;
        this.backoff = backoff;
        this.deployment = deployment;
    }

    int id() {
        return id;
    }

    WorkerProcess worker() {
        return worker;
    }

    WorkerProcess incoming() {
        return incoming;
    }

    Deployment deployment() {
        return deployment;
    }

    /** Whether reloads and crash restarts look after this slot. */
    boolean running() {
        return !failed && !stopped && !removed;
    }

    boolean failed() {
        return failed;
    }

    boolean stopped() {
        return stopped;
    }

    boolean removed() {
        return removed;
    }

    boolean restartPending() {
        return restartPending;
    }

    int restarts() {
        return restarts;
    }

    ClusterStatus.LastFailure lastFailure() {
        return lastFailure;
    }

    CrashBudget budget() {
        return budget;
    }

    // ---- the worker it has ----

    /** A worker started for the slot (at start-up or after a crash) now serves it. */
    void filledBy(WorkerProcess started) {
        worker = started;
    }

    /** An adopted worker's deployment is what the slot runs (and a crash replacement runs the same). */
    void runs(Deployment adopted) {
        deployment = adopted;
    }

    /** The worker left the slot (exited, retired); returns it, or null when the slot had none. */
    WorkerProcess vacate() {
        WorkerProcess left = worker;
        worker = null;
        return left;
    }

    /** Forgets an exited worker wherever the slot still holds it. */
    void forget(WorkerProcess exited) {
        if (worker == exited) {
            worker = null;
        }
        if (incoming == exited) {
            incoming = null;
        }
    }

    /** A worker of a slot's worker became ready: the slot's failed-start streak and last failure end. */
    void workerReady() {
        budget.workerReady();
        lastFailure = null;
    }

    // ---- what it should run ----

    /** The slot should run {@code target} in a new worker (the same deployment for a fresh worker). */
    void want(Deployment target) {
        desired = target;
    }

    /** Whether the slot waits for a new worker of its desired deployment. */
    boolean wantsNewWorker() {
        return desired != null;
    }

    Deployment desired() {
        return desired;
    }

    /** The change is given up (its rollout failed or the slot stopped running): the slot keeps what it runs. */
    void keepCurrent() {
        desired = null;
    }

    void starting(WorkerProcess newWorker) {
        incoming = newWorker;
    }

    /** The new worker is ready (or has died): it no longer waits to take over as the incoming one. */
    void incomingDone() {
        incoming = null;
    }

    /**
     * The new worker takes the slot, which now runs its desired deployment with a fresh restart backoff; returns
     * the worker it replaced (null when the slot was empty), which must now be retired.
     */
    WorkerProcess takeOver(WorkerProcess newWorker) {
        WorkerProcess old = worker;
        worker = newWorker;
        deployment = desired;
        desired = null;
        backoff = initialBackoff;
        return old;
    }

    // ---- crashes ----

    void failed(ClusterStatus.LastFailure failure) {
        lastFailure = failure;
    }

    /** The crash budget ran out: no more restarts until an operator asks. */
    void giveUp(ClusterStatus.LastFailure failure) {
        failed = true;
        lastFailure = failure;
    }

    /** The restarts an earlier master counted for this slot (a hand-over): this master goes on from them. */
    void carryRestarts(int earlier) {
        restarts = Math.max(restarts, earlier);
    }

    /** Schedules nothing itself: returns the delay before the respawn after a crash of a worker up this long. */
    java.time.Duration restartAfterCrash(java.time.Duration uptime) {
        backoff = backoff.afterCrash(uptime);
        restartPending = true;
        restarts++;
        return backoff.delay();
    }

    void restartDue() {
        restartPending = false;
    }

    // ---- operators ----

    /** An operator asks for the slot again (restart of a stopped or failed slot): a failed one gets a new budget. */
    void resume() {
        if (failed) {
            failed = false;
            budget.reset();
        }
        stopped = false;
    }

    void stop() {
        stopped = true;
    }

    void remove() {
        removed = true;
    }

    /** Scale up brings a removed slot back as new: no history, the cluster's current deployment. */
    void reuse(Deployment current) {
        removed = false;
        stopped = false;
        failed = false;
        budget.reset();
        lastFailure = null;
        deployment = current;
    }
}
