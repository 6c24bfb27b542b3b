package dev.herd.supervisor;

import dev.herd.command.WorkerState;

import dev.herd.ClusterSpec;
import dev.herd.command.ClusterStatus;
import dev.herd.command.CommandException;
import dev.herd.command.ControlCommand;
import dev.herd.command.RolloutResult;
import dev.herd.wire.WorkerProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Carries out an operator's {@link ControlCommand} on the loop thread and completes its future: at once for
 * status, scale, shutdown, message, kill-retired, stop and exit; when its rollout ends for reload, upgrade and
 * restart. A {@link CommandException} (cannot run now, bad words) fails the future instead.
 */
final class CommandHandler {
    private static final Logger log = LoggerFactory.getLogger(CommandHandler.class);

    private final LoopContext loop;
    private final Pool pool;
    private final int port;
    private final Rollouts rollouts;
    private final Retirement retirement;
    private final ExitHandler exits;
    private final Shutdown shutdown;

    private MasterSuccessor successor = MasterSuccessor.NONE;

    CommandHandler(LoopContext loop, Pool pool, int port, Rollouts rollouts, Retirement retirement, ExitHandler exits,
                   Shutdown shutdown) {
        this.loop = loop;
        this.pool = pool;
        this.port = port;
        this.rollouts = rollouts;
        this.retirement = retirement;
        this.exits = exits;
        this.shutdown = shutdown;
    }

    /** How {@code upgrade-master} starts the next master; set before the loop runs (the runtime knows how). */
    void successor(MasterSuccessor successor) {
        this.successor = successor;
    }

    <R> void handle(ControlCommand<R> command, CompletableFuture<R> reply) {
        if (shutdown.shuttingDown()) {
            reply.completeExceptionally(new CommandException("the master is shutting down"));
            return;
        }
        try {
            carryOut(command, reply);
        } catch (CommandException e) {
            reply.completeExceptionally(e);
        }
    }

    /** Each case answers with its command's own result type, R, which the sealed interface fixes per record. */
    @SuppressWarnings("unchecked")
    private <R> void carryOut(ControlCommand<R> command, CompletableFuture<R> reply) {
        ClusterSpec spec = loop.spec();
        switch (command) {
            case ControlCommand.Reload ignored -> rollouts.requestReload((CompletableFuture<RolloutResult>) reply);
            case ControlCommand.Upgrade upgrade -> rollouts.requestUpgrade(upgrade, (CompletableFuture<RolloutResult>) reply);
            case ControlCommand.KillRetired ignored -> reply.complete((R) retirement.killRetired());
            case ControlCommand.UpgradeMaster ignored -> {
                if (rollouts.busy()) {
                    throw rollouts.busyRefusal("upgrade the master");
                }
                reply.complete((R) successor.start());
            }
            case ControlCommand.Status ignored -> reply.complete((R) status());
            case ControlCommand.Stop stop -> {
                Duration drain = stop.drainTimeout() != null ? stop.drainTimeout() : spec.drainTimeout();
                reply.complete((R) new ControlCommand.Stopping(true, drain.toMillis()));
                shutdown.begin(false, "stop command", drain);
            }
            case ControlCommand.Exit ignored -> {
                reply.complete((R) new ControlCommand.Exiting(true));
                shutdown.begin(true, "exit command", Duration.ZERO);
            }
            case ControlCommand.Restart restart -> restart(restart.target(), (CompletableFuture<RolloutResult>) reply);
            case ControlCommand.Shutdown stopSlots -> reply.complete((R) shutdownWorkers(stopSlots.target(),
                    stopSlots.drainTimeout() != null ? stopSlots.drainTimeout() : spec.drainTimeout()));
            case ControlCommand.Scale scale -> reply.complete((R) scale(scale.workers()));
            case ControlCommand.Message message -> reply.complete((R) sendMessage(message));
        }
    }

    /** The running slots a target names; a command error when it names none. */
    private List<Slot> slotsOf(ControlCommand.Target target) {
        return switch (target) {
            case ControlCommand.Target.All ignored -> pool.present();
            case ControlCommand.Target.OfSlot of -> {
                if (!pool.hasSlot(of.slot()) || pool.slot(of.slot()).removed()) {
                    throw new CommandException("there is no slot " + of.slot() + "; slots are 0 to "
                            + (pool.slotCount() - 1));
                }
                yield List.of(pool.slot(of.slot()));
            }
            case ControlCommand.Target.OfPid of -> {
                WorkerProcess worker = pool.worker(of.pid());
                Slot slot = pool.slotServedBy(worker);
                if (slot == null) {
                    throw new CommandException("no current worker has pid " + of.pid()
                            + (worker != null ? " (it is retired and draining)" : "") + "; see herd workers");
                }
                yield List.of(slot);
            }
        };
    }

    private void restart(ControlCommand.Target target, CompletableFuture<RolloutResult> reply) {
        if (target instanceof ControlCommand.Target.All) {
            rollouts.requestReload(reply);
            return;
        }
        rollouts.requestRestart(slotsOf(target).getFirst(), reply);
    }

    /** Writes the message on each target worker's channel; answers which got it and which have no channel open. */
    private ControlCommand.MessageSent sendMessage(ControlCommand.Message message) {
        List<Long> sent = new ArrayList<>();
        List<Long> unreachable = new ArrayList<>();
        String line = WorkerProtocol.line("message", "payload", message.payload());
        for (Slot slot : slotsOf(message.target())) {
            WorkerProcess worker = slot.worker();
            if (worker == null) {
                continue;
            }
            (loop.launcher().send(worker.pid(), line) ? sent : unreachable).add(worker.pid());
        }
        return new ControlCommand.MessageSent(sent, unreachable);
    }

    /** Drains the targets' workers and leaves their slots stopped; answers which. */
    private ControlCommand.SlotsStopped shutdownWorkers(ControlCommand.Target target, Duration drainTimeout) {
        if (rollouts.busy()) {
            throw rollouts.busyRefusal("shut workers down");
        }
        List<Integer> stoppedSlots = new ArrayList<>();
        List<Long> pids = new ArrayList<>();
        for (Slot slot : slotsOf(target)) {
            slot.stop();
            stoppedSlots.add(slot.id());
            WorkerProcess worker = slot.vacate();
            if (worker != null) {
                pids.add(worker.pid());
                retirement.retire(worker, drainTimeout);
            }
        }
        log.info("event=slots.stopped slots={} pids={}", stoppedSlots, pids);
        return new ControlCommand.SlotsStopped(stoppedSlots, pids, drainTimeout.toMillis());
    }

    /**
     * Changes the number of slots: new slots start a worker of the current deployment; slots beyond the new count
     * drain their worker and go away. Only where the listeners do not depend on the slot count.
     */
    private ControlCommand.Scaled scale(int workers) {
        ClusterSpec spec = loop.spec();
        int now = pool.slotCount();
        if (workers < 1 || workers > ClusterSpec.MAX_WORKERS) {
            throw new CommandException("scale: " + workers + " workers; use 1 to " + ClusterSpec.MAX_WORKERS);
        }
        if (workers != now && !loop.listeners().slotCountCanChange()) {
            throw new CommandException("scale is not available in --mode " + spec.mode().label()
                    + (spec.sticky() ? " --sticky" : "") + ": its sockets or rules are made per slot at start; restart the master with --workers "
                    + workers);
        }
        if (rollouts.busy()) {
            throw rollouts.busyRefusal("scale");
        }
        List<Integer> started = new ArrayList<>();
        List<Integer> removed = new ArrayList<>();
        for (int id = now; id < workers; id++) {
            Slot slot;
            if (pool.hasSlot(id)) {
                slot = pool.slot(id);
                slot.reuse(rollouts.current());
            } else {
                slot = ExitHandler.newSlot(spec, id, rollouts.current());
                pool.add(slot);
            }
            started.add(id);
            exits.respawn(slot);
        }
        for (int id = now - 1; id >= workers; id--) {
            Slot slot = pool.slot(id);
            slot.remove();
            removed.add(id);
            WorkerProcess worker = slot.vacate();
            if (worker != null) {
                retirement.retire(worker, spec.drainTimeout());
            }
        }
        log.info("event=cluster.scaled from={} to={} started_slots={} removed_slots={}", now, workers, started, removed);
        return new ControlCommand.Scaled(now, workers, started, removed);
    }

    private ClusterStatus status() {
        long now = loop.now();
        List<ClusterStatus.WorkerInfo> workers = new ArrayList<>();
        for (WorkerProcess w : pool.workers()) {
            WorkerLauncher.Usage usage = loop.launcher().usage(w.pid());
            Slot slot = pool.slot(w.slot());
            workers.add(new ClusterStatus.WorkerInfo(w.slot(), w.pid(), w.generation(), w.state(), w.retired(),
                    w.uptime(now).toMillis(), w.status(), slot.restarts(), usage.rssBytes(), usage.cpuSeconds(),
                    w.connections(loop.listeners()), w.requests(), w.overloadedMillis(now),
                    w.retired() ? null : slot.lastFailure()));
        }
        for (Slot slot : pool.slots()) {
            if ((slot.failed() || slot.stopped()) && !slot.removed()) {
                workers.add(new ClusterStatus.WorkerInfo(slot.id(), 0, slot.deployment().generation(),
                        slot.failed() ? WorkerState.FAILED : WorkerState.STOPPED, false, 0, null,
                        slot.restarts(), 0, 0, 0, 0, 0, slot.lastFailure()));
            }
        }
        workers.sort(Comparator.comparingInt(ClusterStatus.WorkerInfo::slot)
                .thenComparing(ClusterStatus.WorkerInfo::retired)
                .thenComparingLong(ClusterStatus.WorkerInfo::pid));
        return new ClusterStatus(ProcessHandle.current().pid(), port, rollouts.current().generation(),
                rollouts.activeKind(), pool.slotCount(), workers);
    }
}
