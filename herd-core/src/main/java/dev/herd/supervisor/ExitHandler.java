package dev.herd.supervisor;

import dev.herd.ClusterSpec;
import dev.herd.Event;
import dev.herd.Event.ExitReason;
import dev.herd.command.ClusterStatus;
import dev.herd.os.ExitStatus;
import dev.herd.os.Signal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Exits of workers and what follows: leftovers killed, the exit classified and reported, a rollout's worker
 * handed to the rollout, and an unexpected end of a slot's worker (or of its spawn) weighed against the slot's
 * crash budget: a respawn after the backoff, or the slot given up.
 */
final class ExitHandler {
    private static final Logger log = LoggerFactory.getLogger(ExitHandler.class);

    /** A worker that stayed up this long forgives one step of its slot's restart backoff. */
    static final Duration CALM_PERIOD = Duration.ofSeconds(30);
    static final long CRASH_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final LoopContext loop;
    private final Pool pool;
    private final WorkerStarter starter;
    private final Shutdown shutdown;
    private Rollouts rollouts;

    ExitHandler(LoopContext loop, Pool pool, WorkerStarter starter, Shutdown shutdown) {
        this.loop = loop;
        this.pool = pool;
        this.starter = starter;
        this.shutdown = shutdown;
    }

    /** Set once, before the loop runs: exits of a rollout's workers are the rollout's. */
    void handsRolloutExitsTo(Rollouts rollouts) {
        this.rollouts = rollouts;
    }

    /** A fresh slot: its budget and backoff from the settings. */
    static Slot newSlot(ClusterSpec spec, int id, Deployment deployment) {
        return new Slot(id, new CrashBudget(spec.maxRestartsPerMinute(), CRASH_WINDOW_NANOS, spec.maxFailedStarts()),
                RestartBackoff.initial(spec.restartDelay(), spec.maxRestartDelay(), CALM_PERIOD), deployment);
    }

    /** Starts a worker of the slot's own deployment, after a crash or at start-up. */
    void respawn(Slot slot) {
        slot.restartDue();
        if (shutdown.shuttingDown() || !slot.running() || slot.worker() != null || slot.incoming() != null) {
            return; // a rollout may have filled the slot meanwhile
        }
        WorkerProcess worker = starter.spawn(slot, slot.deployment());
        if (worker != null) {
            slot.filledBy(worker);
        }
    }

    /** The launcher could not start a worker: a rollout's new worker fails the rollout, any other counts as a crash. */
    void spawnFailed(Slot slot, String error) {
        if (!rollouts.spawnFailed(slot, error)) {
            afterUnexpectedExit(slot, new Failure(0, "spawn failed: " + error, ExitReason.CRASH, Duration.ZERO,
                    false, null));
        }
    }

    void onExit(long pid, ExitStatus status) {
        WorkerProcess worker = pool.unregister(pid);
        loop.launcher().release(pid);
        if (worker == null) {
            log.warn("event=supervisor.unknown_exit pid={} status=\"{}\"", pid, status.describe());
            return;
        }
        loop.launcher().killLeftovers(pid);
        ExitReason reason = worker.exited(status);
        releasePort(worker); // nat mode: a rescue listener takes the dead port over before the rules move its band
        Duration uptime = worker.uptime(loop.now());
        boolean unexpected = reason == ExitReason.CRASH || reason == ExitReason.START_TIMEOUT;
        // only a failed start's output is read here: its cause (a port in use, a missing class) is in its last lines
        String lastOutput = unexpected && !worker.wasReady()
                ? starter.output().lastLines(worker.slot(), worker.outputMark()) : null;
        loop.emit(new Event.WorkerExited(loop.instant(), worker.slot(), pid, worker.generation(),
                status.signaled() ? -1 : status.code(),
                status.signaled() ? signalName(status.signal()) : null, reason, uptime, lastOutput));
        if (OwnBind.saidSo(loop.spec().mode(), lastOutput)) {
            int port = loop.listeners().address().getPort();
            loop.emit(new Event.WorkerBoundOwnPort(loop.instant(), worker.slot(), pid, port, loop.spec().socketFd(),
                    OwnBind.hint(port, loop.spec().socketFd())));
        }
        Slot slot = pool.slot(worker.slot());
        if (shutdown.shuttingDown()) {
            slot.forget(worker);
            shutdown.finishIfStopped();
            return;
        }
        if (rollouts.onExit(slot, worker, reason, status, uptime)) {
            return;
        }
        if (slot.worker() == worker) {
            slot.vacate();
            if (unexpected) {
                afterUnexpectedExit(slot, new Failure(pid, status.describe(), reason, uptime, worker.wasReady(),
                        lastOutput));
            } else if (reason == ExitReason.RECYCLED && slot.running()) {
                respawn(slot); // killed over a hard limit: replaced at once, no crash budget charged
            }
        }
    }

    private void releasePort(WorkerProcess worker) {
        if (worker.port() > 0) {
            try {
                loop.listeners().workerExited(worker.slot(), worker.port());
            } catch (RuntimeException e) {
                log.error("event=listeners.update_failed error=\"{}\"", e.getMessage());
            }
        }
    }

    /** An unexpected end of a slot's worker (or of its spawn), as the budget and the status see it. */
    private record Failure(long pid, String exit, ExitReason reason, Duration uptime, boolean wasReady,
                           String lastOutput) {
    }

    private void afterUnexpectedExit(Slot slot, Failure failure) {
        long now = loop.now();
        CrashBudget budget = slot.budget();
        CrashBudget.Verdict verdict = budget.afterExit(now, !failure.wasReady());
        ClusterStatus.LastFailure last = new ClusterStatus.LastFailure(loop.instant().toString(), failure.pid(),
                failure.exit(), failure.reason().label(), failure.uptime().toMillis(), failure.wasReady(),
                verdict.failedStarts(), failure.lastOutput(), null);
        if (verdict.exhausted()) {
            CrashBudget.Limit limit = verdict.exceeded();
            String gaveUp = limit == CrashBudget.Limit.FAILED_STARTS
                    ? verdict.failedStarts() + " failed starts in a row (--" + limit.setting() + " "
                    + budget.limit(limit) + ")"
                    : verdict.recentExits() + " unexpected exits within 60 s (--" + limit.setting() + " "
                    + budget.limit(limit) + ")";
            slot.giveUp(last.withGaveUp(gaveUp));
            loop.emit(new Event.SlotFailed(loop.instant(), slot.id(), verdict.recentExits(), budget.limit(limit),
                    limit.setting(), verdict.failedStarts(), failure.lastOutput()));
            if (pool.allFailed()) {
                shutdown.everySlotFailed("slot " + slot.id() + " gave up after " + gaveUp + "; its last worker: "
                        + failure.exit() + (failure.wasReady() ? "" : " before it was ready")
                        + (failure.lastOutput() == null ? "" : "; last output: " + failure.lastOutput()));
            }
            return;
        }
        slot.failed(last);
        if (slot.incoming() != null) {
            return; // the rollout's new worker is about to take the slot over
        }
        Duration delay = slot.restartAfterCrash(failure.uptime());
        loop.emit(new Event.RestartScheduled(loop.instant(), slot.id(), delay, verdict.recentExits(),
                verdict.failedStarts()));
        loop.timers().at(now + delay.toNanos(), () -> respawn(slot));
    }

    private static String signalName(int number) {
        try {
            return Signal.of(number).name();
        } catch (IllegalArgumentException e) {
            return Integer.toString(number);
        }
    }
}
