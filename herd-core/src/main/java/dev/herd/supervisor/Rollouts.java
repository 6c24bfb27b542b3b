package dev.herd.supervisor;

import dev.herd.command.CommandException;
import dev.herd.command.ControlCommand;
import dev.herd.command.RolloutResult;

import dev.herd.Event;
import dev.herd.Event.ExitReason;
import dev.herd.os.ExitStatus;
import dev.herd.os.Signal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Drives reloads, upgrades and rollbacks for the {@link Supervisor}: which deployment is current, the one
 * {@link Rollout} in progress, the reload queued behind it. Runs only on the supervisor thread, through the
 * supervisor's spawning, timers and events.
 *
 * <p>Per slot: a new worker of the target deployment starts beside the old one; once it is ready (an
 * upgrade's first one must also survive the canary period) it takes the slot and the old one is told to
 * drain; the slot counts as replaced when the old worker has let go of the listening socket. A new worker
 * that dies or is not ready in time fails the rollout; a failed upgrade rolls its replaced slots back.
 */
final class Rollouts {
    private static final Logger log = LoggerFactory.getLogger(Rollouts.class);

    private final Supervisor sup;
    /** What new and replacement workers run, unless their slot still runs an older deployment. */
    private Deployment current;
    /** Generation numbers are never reused, even after a failed upgrade. */
    private int highestGeneration;
    private Rollout rollout;
    /** A reload asked for while a rollout runs: done once afterwards, however often it was asked. */
    private List<CompletableFuture<RolloutResult>> queuedReload;
    private boolean releasePollScheduled;

    Rollouts(Supervisor sup, Deployment initial) {
        this.sup = sup;
        this.current = initial;
        this.highestGeneration = initial.generation();
    }

    Deployment current() {
        return current;
    }

    /** The kind of rollout in progress (reload, upgrade, rollback), or null. */
    String activeKind() {
        return rollout == null ? null : rollout.kind.label();
    }

    /** Whether this new worker's spawn failure belongs to the rollout, which then fails; otherwise false. */
    boolean spawnFailed(Slot slot, String error) {
        if (rollout != null && rollout.isStarting(slot.id) && slot.incoming == null) {
            rolloutFailed("slot " + slot.id + ": cannot start the new worker: " + error);
            return true;
        }
        return false;
    }

    /**
     * Handles the exit of a worker that belongs to the rollout (a new worker, the canary, an old worker not yet
     * seen letting go of the socket). Returns false for any other worker.
     */
    boolean onExit(Slot slot, WorkerProcess worker, ExitReason reason, ExitStatus status, Duration uptime) {
        if (slot.incoming == worker) {
            slot.incoming = null;
            String why = reason == ExitReason.START_TIMEOUT
                    ? "not ready within the start timeout (" + sup.spec.startTimeout().toMillis() + " ms)"
                    : "exited with " + status.describe() + " after " + uptime.toMillis() + " ms";
            incomingFailed(slot, worker, why);
            return true;
        }
        if (rollout != null && rollout.canary == worker) {
            rollout.canary = null;
            incomingFailed(slot, worker, "exited with " + status.describe() + " while watched as the canary");
            return true;
        }
        if (rollout != null && rollout.releasing.get(slot.id) == worker) {
            released(slot, worker); // a retired worker that exited before it was seen closing the socket
            advanceRollout();
            return true;
        }
        return false;
    }

    /** The master is stopping: every waiter learns why, nothing more is started. */
    void abort(String why) {
        if (rollout != null) {
            Rollout stopped = rollout;
            rollout = null;
            RolloutResult result = new RolloutResult(stopped.kind.label(), false, stopped.target.generation(),
                    why, false, stopped.replaced(), Duration.ofNanos(sup.now() - stopped.startedNanos).toMillis());
            stopped.waiters.forEach(w -> w.complete(result));
        }
        if (queuedReload != null) {
            queuedReload.forEach(w -> w.completeExceptionally(new CommandException(why)));
            queuedReload = null;
        }
    }

    void requestReload(CompletableFuture<RolloutResult> reply) {
        if (rollout == null) {
            startRollout(Rollout.Kind.RELOAD, current.withGeneration(++highestGeneration), List.of(reply));
        } else if (queuedReload == null) {
            queuedReload = new ArrayList<>(List.of(reply));
            sup.emit(new Event.ReloadQueued(sup.instant(), "a " + rollout.kind.label()
                    + " is running; this reload starts when it ends"));
        } else {
            queuedReload.add(reply);
            sup.emit(new Event.ReloadQueued(sup.instant(), "a reload is already queued; not queued twice"));
        }
    }

    void requestUpgrade(ControlCommand.Upgrade upgrade, CompletableFuture<RolloutResult> reply) {
        if (busy()) {
            reply.completeExceptionally(busyRefusal("upgrade again"));
            return;
        }
        if (upgrade.argv().isEmpty()) {
            reply.completeExceptionally(new CommandException("upgrade needs a command to run"));
            return;
        }
        try {
            CommandCheck.resolve(upgrade.argv(), upgrade.env().getOrDefault("PATH", sup.masterEnv.get("PATH")));
        } catch (RuntimeException e) {
            reply.completeExceptionally(new CommandException(e.getMessage()));
            return;
        }
        Deployment target = new Deployment(++highestGeneration, upgrade.argv(), upgrade.env());
        startRollout(Rollout.Kind.UPGRADE, target, List.of(reply));
    }

    private void startRollout(Rollout.Kind kind, Deployment target, List<CompletableFuture<RolloutResult>> waiters) {
        startRollout(kind, target, sup.slots.stream().filter(Slot::running).map(s -> s.id).toList(), waiters);
    }

    /**
     * Replaces one slot's worker by a new one of the same deployment, without downtime (or starts a stopped or
     * failed slot again). Refused while another rollout runs.
     */
    void requestRestart(Slot slot, CompletableFuture<RolloutResult> reply) {
        if (busy()) {
            reply.completeExceptionally(busyRefusal("restart again"));
            return;
        }
        if (slot.failed) {
            slot.failed = false;
            slot.budget.reset(); // the operator asks for another try
        }
        slot.stopped = false;
        startRollout(Rollout.Kind.RESTART, slot.deployment, List.of(slot.id), List.of(reply));
    }

    /** Whether a rollout runs or waits. */
    boolean busy() {
        return rollout != null || queuedReload != null;
    }

    /** Why a command that needs the slots to themselves cannot run while {@link #busy()}, and when to retry. */
    CommandException busyRefusal(String retry) {
        return new CommandException("a " + (rollout != null ? rollout.kind.label() : "reload")
                + " is in progress; " + retry + " when it has finished");
    }

    private void startRollout(Rollout.Kind kind, Deployment target, List<Integer> slotIds,
                              List<CompletableFuture<RolloutResult>> waiters) {
        Deployment previous = current;
        rollout = new Rollout(kind, target, previous, slotIds, sup.spec.reloadBatch(), sup.now());
        rollout.waiters.addAll(waiters);
        if (kind == Rollout.Kind.RELOAD || kind == Rollout.Kind.ROLLBACK) {
            current = target; // a reload or rollback is what runs from now on, whatever its outcome
        }
        sup.emit(new Event.ReloadBegun(sup.instant(), kind.label(), target.generation(), previous.generation(),
                slotIds.size(), rollout.batchSize));
        advanceRollout();
    }

    /** Starts the next slots of the rollout, or ends it when nothing is left. */
    private void advanceRollout() {
        while (rollout != null) {
            List<Integer> next = rollout.nextSlots();
            if (next.isEmpty()) {
                if (rollout.finished()) {
                    rolloutDone();
                }
                return;
            }
            for (int id : next) {
                if (rollout == null) {
                    return; // a spawn failure ended the rollout
                }
                Slot slot = sup.slots.get(id);
                if (!slot.running()) {
                    rollout.slotSkipped(id);
                    continue;
                }
                WorkerProcess incoming = sup.spawn(slot, rollout.target);
                if (incoming == null) {
                    continue;
                }
                slot.incoming = incoming;
                if (incoming.state == WorkerState.READY) {
                    incomingReady(slot, incoming); // readiness "started": the loop goes on with the next slots
                }
            }
        }
    }

    void onIncomingReady(Slot slot, WorkerProcess incoming) {
        if (rollout != null) {
            incomingReady(slot, incoming);
            advanceRollout();
        }
    }

    /** A rollout's new worker is ready: an upgrade's first one becomes the watched canary, others take their slot. */
    private void incomingReady(Slot slot, WorkerProcess incoming) {
        slot.incoming = null;
        if (rollout.canaryPending) {
            rollout.canaryPending = false;
            rollout.canary = incoming;
            Duration observe = sup.spec.canaryPeriod();
            sup.emit(new Event.CanaryWatching(sup.instant(), slot.id, incoming.pid, incoming.generation, observe));
            Rollout watched = rollout;
            sup.timers.at(sup.now() + observe.toNanos(), () -> canaryPassed(watched, slot, incoming));
            return;
        }
        promote(slot, incoming);
    }

    private void canaryPassed(Rollout watched, Slot slot, WorkerProcess canary) {
        if (rollout != watched || rollout.canary != canary || !canary.live()) {
            return; // the canary failed meanwhile, and that was handled at its exit
        }
        rollout.canary = null;
        promote(slot, canary);
        advanceRollout();
    }

    /**
     * The new worker takes the slot and the old one is told to drain (SIGTERM). The slot counts as replaced once
     * the old worker has let go of the listening socket; only then is it deprioritised, so that it handles its
     * SIGTERM and stops accepting promptly.
     */
    private void promote(Slot slot, WorkerProcess incoming) {
        WorkerProcess old = slot.worker;
        slot.worker = incoming;
        sup.updateServing(); // the proxy and sticky sessions steer new connections to the new worker from now on
        slot.deployment = rollout.target;
        slot.backoff = RestartBackoff.initial(sup.spec.restartDelay(), sup.spec.maxRestartDelay(), Supervisor.CALM_PERIOD);
        if (old == null) {
            slotReplaced(slot, null, incoming, null);
            return;
        }
        sup.retire(old, sup.spec.drainTimeout());
        rollout.releasing.put(slot.id, old);
        checkReleases();
    }

    /** Counts the slots whose old worker has closed the socket (or exited) as replaced; polls on for the rest. */
    private void checkReleases() {
        for (var entry : List.copyOf(rollout.releasing.entrySet())) {
            WorkerProcess old = entry.getValue();
            if (!old.live() || !sup.launcher.holdsSocket(old.pid)) {
                released(sup.slots.get(entry.getKey()), old);
            }
        }
        if (!rollout.releasing.isEmpty() && !releasePollScheduled) {
            releasePollScheduled = true;
            sup.timers.at(sup.now() + Supervisor.READINESS_POLL_NANOS, this::pollReleases);
        }
    }

    private void pollReleases() {
        releasePollScheduled = false;
        if (rollout != null) {
            checkReleases();
            advanceRollout();
        }
    }

    private void released(Slot slot, WorkerProcess old) {
        rollout.releasing.remove(slot.id);
        String priority = !old.live() ? "exited"
                : sup.spec.retiredNice() == 0 ? "unchanged" : sup.launcher.deprioritise(old.pid, sup.spec.retiredNice());
        slotReplaced(slot, old, slot.worker, priority);
    }

    private void slotReplaced(Slot slot, WorkerProcess old, WorkerProcess incoming, String priority) {
        rollout.slotReplaced(slot.id);
        sup.emit(new Event.SlotReplaced(sup.instant(), rollout.kind.label(), slot.id, old == null ? 0 : old.pid,
                incoming.pid, incoming.generation, Duration.ofNanos(sup.now() - incoming.spawnedAtNanos)));
        if (old != null) {
            sup.emit(new Event.WorkerRetired(sup.instant(), old.slot, old.pid, old.generation, priority));
        }
    }

    /** A rollout's new worker died or never became ready: the old one still serves its slot. */
    private void incomingFailed(Slot slot, WorkerProcess worker, String why) {
        if (rollout == null) {
            return;
        }
        rollout.slotSkipped(slot.id);
        String reason = "slot " + slot.id + ": new worker (pid " + worker.pid + ", generation " + worker.generation
                + ") " + why;
        rolloutFailed(reason);
        if (slot.worker == null && slot.running() && !slot.restartPending) {
            sup.respawn(slot); // the old worker died meanwhile too: fill the slot again
        }
    }

    void rolloutFailed(String reason) {
        Rollout failed = rollout;
        rollout = null;
        // stop every other new worker of this rollout; the old ones keep serving their slots
        for (int id : failed.startingSlots()) {
            Slot slot = sup.slots.get(id);
            if (slot.incoming != null) {
                abandon(slot.incoming);
                slot.incoming = null;
            }
        }
        if (failed.canary != null) {
            abandon(failed.canary);
        }
        Duration took = Duration.ofNanos(sup.now() - failed.startedNanos);
        String outcome;
        boolean rolledBack = false;
        List<Integer> replaced = failed.replaced();
        if (failed.kind == Rollout.Kind.UPGRADE) {
            rolledBack = true;
            outcome = replaced.isEmpty()
                    ? "rolled back: generation " + failed.previous.generation() + " kept serving every slot"
                    : "rolling back slots " + replaced + " to generation " + failed.previous.generation();
        } else {
            outcome = replaced.isEmpty() ? "no slot was replaced"
                    : "slots " + replaced + " run generation " + failed.target.generation() + ", the others their old one";
        }
        sup.emit(new Event.ReloadFailed(sup.instant(), failed.kind.label(), failed.target.generation(), reason,
                outcome, took));
        RolloutResult result = new RolloutResult(failed.kind.label(), false, failed.target.generation(), reason,
                rolledBack, replaced, took.toMillis());
        if (failed.kind == Rollout.Kind.UPGRADE && !replaced.isEmpty()) {
            Deployment back = failed.previous.withGeneration(++highestGeneration);
            startRollout(Rollout.Kind.ROLLBACK, back, replaced, List.of());
            rollout.waiters.addAll(failed.waiters.stream().map(w -> {
                CompletableFuture<RolloutResult> chained = new CompletableFuture<>();
                chained.whenComplete((r, e) -> w.complete(result));
                return chained;
            }).toList());
        } else {
            failed.waiters.forEach(w -> w.complete(result));
            startQueuedReload();
        }
    }

    private void abandon(WorkerProcess worker) {
        if (worker.live() && worker.stopReason == null) {
            worker.stopReason = ExitReason.STOPPED;
            worker.state = WorkerState.DRAINING;
            sup.launcher.signal(worker.pid, Signal.KILL);
        }
    }

    private void rolloutDone() {
        Rollout done = rollout;
        rollout = null;
        if (done.kind == Rollout.Kind.UPGRADE) {
            current = done.target;
        }
        Duration took = Duration.ofNanos(sup.now() - done.startedNanos);
        sup.emit(new Event.ReloadDone(sup.instant(), done.kind.label(), done.target.generation(),
                done.replaced().size(), took));
        RolloutResult result = new RolloutResult(done.kind.label(), true, done.target.generation(), null, false,
                done.replaced(), took.toMillis());
        done.waiters.forEach(w -> w.complete(result));
        startQueuedReload();
    }

    private void startQueuedReload() {
        if (queuedReload != null && rollout == null && !sup.shuttingDown()) {
            List<CompletableFuture<RolloutResult>> waiters = queuedReload;
            queuedReload = null;
            startRollout(Rollout.Kind.RELOAD, current.withGeneration(++highestGeneration), waiters);
        }
    }
}
