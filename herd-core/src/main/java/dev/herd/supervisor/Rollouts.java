package dev.herd.supervisor;

import dev.herd.ClusterSpec;
import dev.herd.Event;
import dev.herd.Event.ExitReason;
import dev.herd.command.CommandException;
import dev.herd.command.ControlCommand;
import dev.herd.command.RolloutResult;
import dev.herd.os.ExitStatus;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Changes what slots run without downtime: reloads, upgrades, rollbacks, the restart of one slot (an operator's, or
 * the watchdog's replacement of a hung worker). Each one sets the desired deployment of its slots and lets the loop
 * converge them, one {@link Rollout} at a time, paced by it; a reload asked for meanwhile is queued once.
 *
 * <p>Per slot: a new worker of the desired deployment starts beside the old one; once it is ready (an upgrade's
 * first one must also survive the canary period) it takes the slot and the old one is told to drain; the slot
 * counts as replaced when the old worker has let go of the listening socket. A new worker that dies or is not
 * ready in time fails the rollout; a failed upgrade rolls its replaced slots back.
 */
final class Rollouts {
    private final LoopContext loop;
    private final Pool pool;
    private final WorkerStarter starter;
    private final Retirement retirement;
    private final ServingSet serving;
    /** Refills a slot left empty (with its own deployment), as after a crash. */
    private final Consumer<Slot> respawn;
    private final BooleanSupplier shuttingDown;
    /** What new and replacement workers run, unless their slot still runs an older deployment. */
    private Deployment current;
    /** Generation numbers are never reused, even after a failed upgrade. */
    private int highestGeneration;
    private Rollout rollout;
    /** A reload asked for while a rollout runs: done once afterwards, however often it was asked. */
    private List<CompletableFuture<RolloutResult>> queuedReload;
    private boolean releasePollScheduled;

    Rollouts(LoopContext loop, Pool pool, WorkerStarter starter, Retirement retirement, ServingSet serving,
             Consumer<Slot> respawn, BooleanSupplier shuttingDown, Deployment initial) {
        this.loop = loop;
        this.pool = pool;
        this.starter = starter;
        this.retirement = retirement;
        this.serving = serving;
        this.respawn = respawn;
        this.shuttingDown = shuttingDown;
        this.current = initial;
        this.highestGeneration = initial.generation();
    }

    Deployment current() {
        return current;
    }

    /**
     * Workers of an earlier master were adopted: what they run is the current deployment, and new generations are
     * numbered after theirs. When this master was given another command, the slots move to it by an upgrade.
     */
    void adopted(Adoption.Outcome outcome) {
        current = outcome.current();
        highestGeneration = Math.max(highestGeneration, outcome.highestGeneration());
        if (outcome.upgradeNeeded()) {
            requestUpgrade(new ControlCommand.Upgrade(loop.spec().command(), Map.of()), new CompletableFuture<>());
        }
    }

    /** The kind of rollout in progress (reload, upgrade, rollback), or null. */
    String activeKind() {
        return rollout == null ? null : rollout.kind().label();
    }

    /** Whether a rollout runs or waits. */
    boolean busy() {
        return rollout != null || queuedReload != null;
    }

    /** Why a command that needs the slots to themselves cannot run while {@link #busy()}, and when to retry. */
    CommandException busyRefusal(String retry) {
        return new CommandException("a " + (rollout != null ? rollout.kind().label() : "reload")
                + " is in progress; " + retry + " when it has finished");
    }

    // ---- what is asked for ----

    void requestReload(CompletableFuture<RolloutResult> reply) {
        if (rollout == null) {
            begin(Rollout.Kind.RELOAD, current.withGeneration(++highestGeneration), pool.running(), List.of(reply));
        } else if (queuedReload == null) {
            queuedReload = new ArrayList<>(List.of(reply));
            loop.emit(new Event.ReloadQueued(loop.instant(), "a " + rollout.kind().label()
                    + " is running; this reload starts when it ends"));
        } else {
            queuedReload.add(reply);
            loop.emit(new Event.ReloadQueued(loop.instant(), "a reload is already queued; not queued twice"));
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
            CommandCheck.resolve(upgrade.argv(), upgrade.env().getOrDefault("PATH", starter.masterPath()));
        } catch (RuntimeException e) {
            reply.completeExceptionally(new CommandException(e.getMessage()));
            return;
        }
        Deployment target = new Deployment(++highestGeneration, upgrade.argv(), upgrade.env());
        begin(Rollout.Kind.UPGRADE, target, pool.running(), List.of(reply));
    }

    /**
     * Replaces one slot's worker by a new one of the same deployment, without downtime (or starts a stopped or
     * failed slot again). Refused while another rollout runs. Recycling a worker is this too.
     */
    void requestRestart(Slot slot, CompletableFuture<RolloutResult> reply) {
        if (busy()) {
            reply.completeExceptionally(busyRefusal("restart again"));
            return;
        }
        slot.resume(); // the operator asks for another try
        begin(Rollout.Kind.RESTART, slot.deployment(), List.of(slot), List.of(reply));
    }

    /**
     * Recycles these slots' workers (their limits passed): each replaced by a new one of the slot's deployment, at most
     * {@code --reload-batch} at a time. False, and nothing done, while another rollout runs: the caller asks again.
     */
    boolean requestRecycle(List<Slot> slots) {
        if (busy() || slots.isEmpty()) {
            return false;
        }
        begin(Rollout.Kind.RECYCLE, slots.getFirst().deployment(), slots, List.of());
        return true;
    }

    /** Sets what the slots should run and starts converging them. */
    private void begin(Rollout.Kind kind, Deployment target, List<Slot> slots,
                       List<CompletableFuture<RolloutResult>> waiters) {
        Deployment previous = current;
        rollout = new Rollout(kind, target, previous, slots, loop.spec().reloadBatch(), loop.now(), waiters);
        slots.forEach(slot -> slot.want(target));
        if (kind == Rollout.Kind.RELOAD || kind == Rollout.Kind.ROLLBACK) {
            current = target; // a reload or rollback is what runs from now on, whatever its outcome
        }
        loop.emit(new Event.ReloadBegun(loop.instant(), kind.label(), target.generation(), previous.generation(),
                rollout.size(), rollout.batchSize()));
        converge();
    }

    // ---- converging ----

    /** Starts new workers for the next slots the rollout lets change, or ends it when nothing is left. */
    private void converge() {
        while (rollout != null) {
            List<Slot> next = rollout.nextSlots();
            if (next.isEmpty()) {
                if (rollout.finished()) {
                    done();
                }
                return;
            }
            for (Slot slot : next) {
                if (rollout == null) {
                    return; // a spawn failure ended the rollout
                }
                if (!slot.running()) {
                    rollout.slotSkipped(slot);
                    continue;
                }
                WorkerProcess incoming = starter.spawn(slot, slot.desired());
                if (incoming == null) {
                    continue;
                }
                slot.starting(incoming);
                if (incoming.serving()) {
                    incomingReady(slot, incoming); // readiness "started": the loop goes on with the next slots
                }
            }
        }
    }

    /** Whether this new worker's spawn failure belongs to the rollout, which then fails; otherwise false. */
    boolean spawnFailed(Slot slot, String error) {
        if (rollout != null && rollout.isStarting(slot) && slot.incoming() == null) {
            failed("slot " + slot.id() + ": cannot start the new worker: " + error);
            return true;
        }
        return false;
    }

    void onIncomingReady(Slot slot, WorkerProcess incoming) {
        if (rollout != null) {
            incomingReady(slot, incoming);
            converge();
        }
    }

    /** A rollout's new worker is ready: an upgrade's first one becomes the watched canary, others take their slot. */
    private void incomingReady(Slot slot, WorkerProcess incoming) {
        slot.incomingDone();
        if (rollout.becomesCanary(incoming)) {
            Duration observe = loop.spec().canaryPeriod();
            loop.emit(new Event.CanaryWatching(loop.instant(), slot.id(), incoming.pid(), incoming.generation(),
                    observe));
            Rollout watched = rollout;
            loop.after(observe.toNanos(), () -> canaryPassed(watched, slot, incoming));
            return;
        }
        promote(slot, incoming);
    }

    private void canaryPassed(Rollout watched, Slot slot, WorkerProcess canary) {
        if (rollout != watched || !rollout.isCanary(canary) || !canary.live()) {
            return; // the canary failed meanwhile, and that was handled at its exit
        }
        rollout.canaryDone();
        promote(slot, canary);
        converge();
    }

    /**
     * The new worker takes the slot and the old one is told to drain (SIGTERM). The slot counts as replaced once
     * the old worker has let go of the listening socket; only then is it deprioritised, so that it handles its
     * SIGTERM and stops accepting promptly.
     */
    private void promote(Slot slot, WorkerProcess incoming) {
        WorkerProcess old = slot.takeOver(incoming);
        serving.update(); // the proxy and sticky sessions steer new connections to the new worker from now on
        if (old == null) {
            slotReplaced(slot, null, incoming, null);
            return;
        }
        retirement.retire(old, loop.spec().drainTimeout());
        rollout.releasing(slot, old);
        checkReleases();
    }

    /** Counts the slots whose old worker has closed the socket (or exited) as replaced; polls on for the rest. */
    private void checkReleases() {
        for (var entry : rollout.releasing()) {
            WorkerProcess old = entry.getValue();
            if (!old.live() || !loop.launcher().holdsSocket(old.pid())) {
                released(entry.getKey(), old);
            }
        }
        if (rollout.anyReleasing() && !releasePollScheduled) {
            releasePollScheduled = true;
            loop.after(WorkerStarter.READINESS_POLL_NANOS, this::pollReleases);
        }
    }

    private void pollReleases() {
        releasePollScheduled = false;
        if (rollout != null) {
            checkReleases();
            converge();
        }
    }

    private void released(Slot slot, WorkerProcess old) {
        ClusterSpec spec = loop.spec();
        String priority = !old.live() ? "exited"
                : spec.retiredNice() == 0 ? "unchanged" : loop.launcher().deprioritise(old.pid(), spec.retiredNice());
        slotReplaced(slot, old, slot.worker(), priority);
    }

    private void slotReplaced(Slot slot, WorkerProcess old, WorkerProcess incoming, String priority) {
        rollout.slotReplaced(slot);
        loop.emit(new Event.SlotReplaced(loop.instant(), rollout.kind().label(), slot.id(), old == null ? 0 : old.pid(),
                incoming.pid(), incoming.generation(), incoming.uptime(loop.now())));
        if (old != null) {
            loop.emit(new Event.WorkerRetired(loop.instant(), old.slot(), old.pid(), old.generation(), priority));
        }
    }

    // ---- exits ----

    /**
     * Handles the exit of a worker that belongs to the rollout (a new worker, the canary, an old worker not yet
     * seen letting go of the socket). Returns false for any other worker.
     */
    boolean onExit(Slot slot, WorkerProcess worker, ExitReason reason, ExitStatus status, Duration uptime) {
        if (slot.incoming() == worker) {
            slot.incomingDone();
            String why = reason == ExitReason.START_TIMEOUT
                    ? "not ready within the start timeout (" + loop.spec().startTimeout().toMillis() + " ms)"
                    : "exited with " + status.describe() + " after " + uptime.toMillis() + " ms";
            incomingFailed(slot, worker, why);
            return true;
        }
        if (rollout != null && rollout.isCanary(worker)) {
            rollout.canaryDone();
            incomingFailed(slot, worker, "exited with " + status.describe() + " while watched as the canary");
            return true;
        }
        if (rollout != null && rollout.isReleasing(slot, worker)) {
            released(slot, worker); // a retired worker that exited before it was seen closing the socket
            converge();
            return true;
        }
        return false;
    }

    /** A rollout's new worker died or never became ready: the old one still serves its slot. */
    private void incomingFailed(Slot slot, WorkerProcess worker, String why) {
        if (rollout == null) {
            return;
        }
        rollout.slotSkipped(slot);
        failed("slot " + slot.id() + ": new worker (pid " + worker.pid() + ", generation " + worker.generation()
                + ") " + why);
        if (slot.worker() == null && slot.running() && !slot.restartPending()) {
            respawn.accept(slot); // the old worker died meanwhile too: fill the slot again
        }
    }

    // ---- endings ----

    private void failed(String reason) {
        Rollout failed = rollout;
        rollout = null;
        // stop every other new worker of this rollout; the old ones keep serving their slots
        for (Slot slot : failed.startingSlots()) {
            if (slot.incoming() != null) {
                slot.incoming().abandon();
                slot.incomingDone();
            }
        }
        if (failed.canary() != null) {
            failed.canary().abandon();
        }
        failed.giveUp();
        Duration took = failed.took(loop.now());
        String outcome;
        boolean rolledBack = false;
        List<Integer> replaced = failed.replaced();
        if (failed.kind() == Rollout.Kind.UPGRADE) {
            rolledBack = true;
            outcome = replaced.isEmpty()
                    ? "rolled back: generation " + failed.previous().generation() + " kept serving every slot"
                    : "rolling back slots " + replaced + " to generation " + failed.previous().generation();
        } else {
            outcome = replaced.isEmpty() ? "no slot was replaced"
                    : "slots " + replaced + " run generation " + failed.target().generation() + ", the others their old one";
        }
        loop.emit(new Event.ReloadFailed(loop.instant(), failed.kind().label(), failed.target().generation(), reason,
                outcome, took));
        RolloutResult result = new RolloutResult(failed.kind().label(), false, failed.target().generation(), reason,
                rolledBack, replaced, took.toMillis());
        if (failed.kind() == Rollout.Kind.UPGRADE && !replaced.isEmpty()) {
            Deployment back = failed.previous().withGeneration(++highestGeneration);
            List<CompletableFuture<RolloutResult>> chained = failed.waiters().stream().map(w -> {
                CompletableFuture<RolloutResult> then = new CompletableFuture<>();
                then.whenComplete((r, e) -> w.complete(result)); // the upgrade's waiters learn of its failure
                return then;
            }).toList();
            begin(Rollout.Kind.ROLLBACK, back, replaced.stream().map(pool::slot).toList(), chained);
        } else {
            failed.waiters().forEach(w -> w.complete(result));
            startQueuedReload();
        }
    }

    private void done() {
        Rollout done = rollout;
        rollout = null;
        if (done.kind() == Rollout.Kind.UPGRADE) {
            current = done.target();
        }
        Duration took = done.took(loop.now());
        loop.emit(new Event.ReloadDone(loop.instant(), done.kind().label(), done.target().generation(),
                done.replaced().size(), took));
        RolloutResult result = new RolloutResult(done.kind().label(), true, done.target().generation(), null, false,
                done.replaced(), took.toMillis());
        done.waiters().forEach(w -> w.complete(result));
        startQueuedReload();
    }

    private void startQueuedReload() {
        if (queuedReload != null && rollout == null && !shuttingDown.getAsBoolean()) {
            List<CompletableFuture<RolloutResult>> waiters = queuedReload;
            queuedReload = null;
            begin(Rollout.Kind.RELOAD, current.withGeneration(++highestGeneration), pool.running(), waiters);
        }
    }

    /** The master is stopping: every waiter learns why, nothing more is started. */
    void abort(String why) {
        if (rollout != null) {
            Rollout stopped = rollout;
            rollout = null;
            stopped.giveUp();
            RolloutResult result = new RolloutResult(stopped.kind().label(), false, stopped.target().generation(),
                    why, false, stopped.replaced(), stopped.took(loop.now()).toMillis());
            stopped.waiters().forEach(w -> w.complete(result));
        }
        if (queuedReload != null) {
            queuedReload.forEach(w -> w.completeExceptionally(new CommandException(why)));
            queuedReload = null;
        }
    }
}
