package dev.herd.supervisor;

import dev.herd.ClusterSpec;
import dev.herd.Event;
import dev.herd.Event.ExitReason;
import dev.herd.EventListener;
import dev.herd.ReadyWhen;
import dev.herd.os.ExitStatus;
import dev.herd.os.Signal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The master's event loop. One thread takes messages (process exited, notify datagram, signal, command) from
 * one inbox and runs due timers; it is the only code that touches the slots and workers, so there are no
 * locks. Other threads only {@link #post post}.
 */
public final class Supervisor {
    private static final Logger log = LoggerFactory.getLogger(Supervisor.class);

    /** Exit codes of the master, documented in the README. */
    public static final int EXIT_OK = 0;
    public static final int EXIT_ALL_SLOTS_FAILED = 4;
    public static final int EXIT_HARD_STOP = 130;

    /** A worker that stayed up this long forgives one step of its slot's restart backoff. */
    static final Duration CALM_PERIOD = Duration.ofSeconds(30);
    static final long CRASH_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(60);
    /** How often starting workers are looked at in /proc for readiness {@code listening}. */
    static final long READINESS_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    sealed interface Message {
    }

    record Exited(long pid, ExitStatus status) implements Message {
    }

    record Notified(long pid, String datagram) implements Message {
    }

    record SignalArrived(Signal signal) implements Message {
    }

    record CommandArrived(ControlCommand command, CompletableFuture<Object> reply) implements Message {
    }

    private final ClusterSpec spec;
    private final int port;
    private final Map<String, String> masterEnv;
    private final WorkerLauncher launcher;
    private final Runnable closeListener;
    private final List<EventListener> listeners;
    private final LongSupplier nanoClock;
    private final InstantSource wallClock;

    private final BlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
    private final Timers timers = new Timers();
    private final List<Slot> slots = new ArrayList<>();
    private final Map<Long, WorkerProcess> workersByPid = new HashMap<>();
    private final WorkerLauncher.Callbacks callbacks = new WorkerLauncher.Callbacks() {
        @Override
        public void exited(long pid, ExitStatus status) {
            post(new Exited(pid, status));
        }

        @Override
        public void notified(long pid, String datagram) {
            post(new Notified(pid, datagram));
        }
    };

    /** What new and replacement workers run, unless their slot still runs an older deployment. */
    private Deployment current;
    /** Generation numbers are never reused, even after a failed upgrade. */
    private int highestGeneration;
    private Rollout rollout;
    /** A reload asked for while a rollout runs: done once afterwards, however often it was asked. */
    private List<CompletableFuture<RolloutResult>> queuedReload;
    private long notifySequence;
    private boolean readinessPollScheduled;
    private boolean releasePollScheduled;
    private boolean shuttingDown;
    private boolean hardStop;
    private Integer exitCode;
    private String exitWhy;

    /**
     * @param port          the port actually bound (differs from the spec's when it asked for 0)
     * @param closeListener closes the master's copy of the listening socket when the shutdown begins
     */
    Supervisor(ClusterSpec spec, int port, Map<String, String> masterEnv, WorkerLauncher launcher,
               Runnable closeListener, List<EventListener> listeners, LongSupplier nanoClock, InstantSource wallClock) {
        this.spec = spec;
        this.port = port;
        this.masterEnv = Map.copyOf(masterEnv);
        this.launcher = launcher;
        this.closeListener = closeListener;
        this.listeners = List.copyOf(listeners);
        this.nanoClock = nanoClock;
        this.wallClock = wallClock;
        this.current = new Deployment(1, spec.command(), Map.of());
        this.highestGeneration = 1;
        for (int id = 0; id < spec.workers(); id++) {
            slots.add(new Slot(id, new CrashBudget(spec.maxRestartsPerMinute(), CRASH_WINDOW_NANOS),
                    RestartBackoff.initial(spec.restartDelay(), spec.maxRestartDelay(), CALM_PERIOD), current));
        }
    }

    /** Thread-safe: hands a message to the loop. */
    public void post(Message message) {
        inbox.add(message);
    }

    /** Thread-safe: asks the loop to carry out a command; the future completes with its answer. */
    public CompletableFuture<Object> submit(ControlCommand command) {
        CompletableFuture<Object> reply = new CompletableFuture<>();
        post(new CommandArrived(command, reply));
        return reply;
    }

    /** Runs the loop on the calling thread until the cluster has stopped; returns the master's exit code. */
    public int run() {
        slots.forEach(this::respawn);
        while (exitCode == null) {
            long wait = timers.nanosUntilNext(nanoClock.getAsLong());
            Message message;
            try {
                message = wait == Long.MAX_VALUE ? inbox.take() : inbox.poll(wait, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                beginShutdown(true, "interrupted");
                continue;
            }
            try {
                if (message != null) {
                    handle(message);
                }
                timers.runDue(nanoClock.getAsLong());
            } catch (RuntimeException e) {
                // The master must outlive any one bad event: log it and keep supervising.
                log.error("event=supervisor.error message=\"{}\"", e.toString(), e);
            }
        }
        emit(new Event.ClusterStopped(wallClock.instant(), exitCode, exitWhy));
        return exitCode;
    }

    private void handle(Message message) {
        switch (message) {
            case Exited exited -> onExit(exited.pid(), exited.status());
            case Notified notified -> onNotify(notified.pid(), notified.datagram());
            case SignalArrived signal -> onSignal(signal.signal());
            case CommandArrived command -> onCommand(command.command(), command.reply());
        }
    }

    // ---- spawning and readiness ----

    /** Starts a worker of the slot's own deployment, after a crash or at start-up. */
    private void respawn(Slot slot) {
        slot.restartPending = false;
        if (shuttingDown || slot.failed || slot.worker != null || slot.incoming != null) {
            return; // a rollout may have filled the slot meanwhile
        }
        WorkerProcess worker = spawn(slot, slot.deployment);
        if (worker != null) {
            slot.worker = worker;
        }
    }

    /** Spawns a worker for the slot; on failure counts it like a crash and returns null. */
    private WorkerProcess spawn(Slot slot, Deployment deployment) {
        long now = nanoClock.getAsLong();
        Path notifyPath = notifySocketPath(spec.stateDir(), slot.id, notifySequence++);
        Map<String, String> env = new LinkedHashMap<>(masterEnv);
        env.putAll(deployment.env());
        env = WorkerEnvironment.build(env, slot.id, deployment.generation(), port, spec.socketFd(), notifyPath);
        Path logFile = spec.logDir().resolve("worker-" + slot.id + ".log");
        long pid;
        try {
            pid = launcher.launch(new WorkerLauncher.Plan(slot.id, deployment.generation(), deployment.argv(), env,
                    logFile, notifyPath), callbacks);
        } catch (RuntimeException e) {
            log.error("event=worker.spawn_failed slot={} generation={} error=\"{}\"", slot.id,
                    deployment.generation(), e.getMessage());
            if (rollout != null && rollout.isStarting(slot.id) && slot.incoming == null) {
                rolloutFailed("slot " + slot.id + ": cannot start the new worker: " + e.getMessage());
            } else {
                afterUnexpectedExit(slot, Duration.ZERO);
            }
            return null;
        }
        WorkerProcess worker = new WorkerProcess(slot.id, deployment.generation(), pid, now);
        workersByPid.put(pid, worker);
        emit(new Event.WorkerForked(wallClock.instant(), slot.id, pid, deployment.generation()));
        timers.at(now + spec.startTimeout().toNanos(), () -> onStartTimeout(worker));
        switch (spec.readyWhen()) {
            case STARTED -> markReady(worker);
            case LISTENING -> scheduleReadinessPoll();
            case NOTIFY -> { /* waits for READY=1 */ }
        }
        return worker;
    }

    /** Each worker gets its own notify socket, so a datagram is attributed by where it arrives, not by sender pid. */
    static Path notifySocketPath(Path stateDir, int slot, long sequence) {
        return stateDir.resolve("notify").resolve(slot + "." + sequence + ".sock");
    }

    private void scheduleReadinessPoll() {
        if (!readinessPollScheduled) {
            readinessPollScheduled = true;
            timers.at(nanoClock.getAsLong() + READINESS_POLL_NANOS, this::pollReadiness);
        }
    }

    private void pollReadiness() {
        readinessPollScheduled = false;
        boolean anyStarting = false;
        for (WorkerProcess worker : List.copyOf(workersByPid.values())) {
            if (worker.state == WorkerState.STARTING) {
                if (launcher.isAccepting(worker.pid)) {
                    markReady(worker);
                } else {
                    anyStarting = true;
                }
            }
        }
        if (anyStarting) {
            scheduleReadinessPoll();
        }
    }

    private void markReady(WorkerProcess worker) {
        if (worker.state != WorkerState.STARTING) {
            return;
        }
        worker.state = WorkerState.READY;
        worker.readyAtNanos = nanoClock.getAsLong();
        emit(new Event.WorkerReady(wallClock.instant(), worker.slot, worker.pid, worker.generation,
                Duration.ofNanos(worker.readyAtNanos - worker.spawnedAtNanos)));
        Slot slot = slots.get(worker.slot);
        if (slot.incoming == worker) {
            onIncomingReady(slot, worker);
        }
    }

    private void onStartTimeout(WorkerProcess worker) {
        if (worker.state == WorkerState.STARTING && worker.stopReason == null) {
            log.warn("event=worker.start_timeout slot={} pid={} timeout_ms={}", worker.slot, worker.pid,
                    spec.startTimeout().toMillis());
            worker.stopReason = ExitReason.START_TIMEOUT;
            launcher.signal(worker.pid, Signal.KILL);
        }
    }

    private void onNotify(long pid, String datagram) {
        WorkerProcess worker = workersByPid.get(pid);
        if (worker == null) {
            return;
        }
        NotifyMessage message = NotifyMessage.parse(datagram);
        if (message.status() != null && !message.status().equals(worker.status)) {
            worker.status = message.status();
            emit(new Event.WorkerStatus(wallClock.instant(), worker.slot, pid, worker.status));
        }
        if (message.ready() && spec.readyWhen() == ReadyWhen.NOTIFY) {
            markReady(worker);
        }
        if (message.stopping() && worker.live() && worker.state != WorkerState.DRAINING) {
            // The worker announced it is going away. It no longer counts as serving; whether its exit is a
            // crash is still judged by who asked for it (nobody did, unless the master is stopping it).
            worker.state = WorkerState.DRAINING;
            emit(new Event.WorkerStopping(wallClock.instant(), worker.slot, pid));
        }
    }

    // ---- exits, crashes and restarts ----

    private void onExit(long pid, ExitStatus status) {
        WorkerProcess worker = workersByPid.remove(pid);
        launcher.release(pid);
        if (worker == null) {
            log.warn("event=supervisor.unknown_exit pid={} status=\"{}\"", pid, status.describe());
            return;
        }
        launcher.killLeftovers(pid);
        worker.state = WorkerState.EXITED;
        long now = nanoClock.getAsLong();
        Duration uptime = Duration.ofNanos(now - worker.spawnedAtNanos);
        ExitReason reason = reasonFor(worker, status);
        emit(new Event.WorkerExited(wallClock.instant(), worker.slot, pid, worker.generation,
                status.signaled() ? -1 : status.code(),
                status.signaled() ? signalName(status.signal()) : null, reason, uptime));
        Slot slot = slots.get(worker.slot);
        if (shuttingDown) {
            forget(slot, worker);
            finishIfStopped();
            return;
        }
        if (slot.incoming == worker) {
            slot.incoming = null;
            String why = reason == ExitReason.START_TIMEOUT
                    ? "not ready within the start timeout (" + spec.startTimeout().toMillis() + " ms)"
                    : "exited with " + status.describe() + " after " + uptime.toMillis() + " ms";
            incomingFailed(slot, worker, why);
        } else if (rollout != null && rollout.canary == worker) {
            rollout.canary = null;
            incomingFailed(slot, worker, "exited with " + status.describe() + " while watched as the canary");
        } else if (slot.worker == worker) {
            slot.worker = null;
            if (reason == ExitReason.CRASH || reason == ExitReason.START_TIMEOUT) {
                afterUnexpectedExit(slot, uptime);
            }
        } else if (rollout != null && rollout.releasing.get(slot.id) == worker) {
            released(slot, worker); // a retired worker that exited before it was seen closing the socket
            advanceRollout();
        }
    }

    private static void forget(Slot slot, WorkerProcess worker) {
        if (slot.worker == worker) {
            slot.worker = null;
        }
        if (slot.incoming == worker) {
            slot.incoming = null;
        }
    }

    private static ExitReason reasonFor(WorkerProcess worker, ExitStatus status) {
        if (worker.stopReason == null) {
            return ExitReason.CRASH;
        }
        if (worker.stopReason == ExitReason.STOPPED && status.signaled() && status.signal() == Signal.KILL.number()) {
            return ExitReason.KILLED;
        }
        return worker.stopReason;
    }

    private void afterUnexpectedExit(Slot slot, Duration uptime) {
        long now = nanoClock.getAsLong();
        int recent = slot.budget.record(now);
        if (recent > slot.budget.limit()) {
            slot.failed = true;
            emit(new Event.SlotFailed(wallClock.instant(), slot.id, recent, slot.budget.limit()));
            if (slots.stream().allMatch(s -> s.failed)) {
                finish(EXIT_ALL_SLOTS_FAILED, "every slot failed");
            }
            return;
        }
        if (slot.incoming != null) {
            return; // the rollout's new worker is about to take the slot over
        }
        slot.backoff = slot.backoff.afterCrash(uptime);
        Duration delay = slot.backoff.delay();
        slot.restartPending = true;
        emit(new Event.RestartScheduled(wallClock.instant(), slot.id, delay, recent));
        timers.at(now + delay.toNanos(), () -> respawn(slot));
    }

    // ---- reloads and upgrades ----

    private void onCommand(ControlCommand command, CompletableFuture<Object> reply) {
        if (shuttingDown) {
            reply.completeExceptionally(new CommandException("the master is shutting down"));
            return;
        }
        switch (command) {
            case ControlCommand.Reload ignored -> requestReload(reply);
            case ControlCommand.Upgrade upgrade -> requestUpgrade(upgrade, reply);
            case ControlCommand.KillRetired ignored -> reply.complete(killRetired());
            case ControlCommand.Status ignored -> reply.complete(status());
        }
    }

    private void requestReload(CompletableFuture<Object> reply) {
        CompletableFuture<RolloutResult> result = new CompletableFuture<>();
        result.whenComplete((r, e) -> {
            if (e != null) {
                reply.completeExceptionally(e);
            } else {
                reply.complete(r);
            }
        });
        if (rollout == null) {
            startRollout(Rollout.Kind.RELOAD, current.withGeneration(++highestGeneration), List.of(result));
        } else if (queuedReload == null) {
            queuedReload = new ArrayList<>(List.of(result));
            emit(new Event.ReloadQueued(wallClock.instant(), "a " + rollout.kind.label()
                    + " is running; this reload starts when it ends"));
        } else {
            queuedReload.add(result);
            emit(new Event.ReloadQueued(wallClock.instant(), "a reload is already queued; not queued twice"));
        }
    }

    private void requestUpgrade(ControlCommand.Upgrade upgrade, CompletableFuture<Object> reply) {
        if (rollout != null || queuedReload != null) {
            reply.completeExceptionally(new CommandException("a " + (rollout != null ? rollout.kind.label() : "reload")
                    + " is in progress; upgrade again when it has finished"));
            return;
        }
        if (upgrade.argv().isEmpty()) {
            reply.completeExceptionally(new CommandException("upgrade needs a command to run"));
            return;
        }
        try {
            CommandCheck.resolve(upgrade.argv(), upgrade.env().getOrDefault("PATH", masterEnv.get("PATH")));
        } catch (RuntimeException e) {
            reply.completeExceptionally(new CommandException(e.getMessage()));
            return;
        }
        CompletableFuture<RolloutResult> result = new CompletableFuture<>();
        result.whenComplete((r, e) -> {
            if (e != null) {
                reply.completeExceptionally(e);
            } else {
                reply.complete(r);
            }
        });
        Deployment target = new Deployment(++highestGeneration, upgrade.argv(), upgrade.env());
        startRollout(Rollout.Kind.UPGRADE, target, List.of(result));
    }

    private void startRollout(Rollout.Kind kind, Deployment target, List<CompletableFuture<RolloutResult>> waiters) {
        startRollout(kind, target, slots.stream().filter(s -> !s.failed).map(s -> s.id).toList(), waiters);
    }

    private void startRollout(Rollout.Kind kind, Deployment target, List<Integer> slotIds,
                              List<CompletableFuture<RolloutResult>> waiters) {
        Deployment previous = current;
        rollout = new Rollout(kind, target, previous, slotIds, spec.reloadBatch(), nanoClock.getAsLong());
        rollout.waiters.addAll(waiters);
        if (kind != Rollout.Kind.UPGRADE) {
            current = target; // a reload or rollback is what runs from now on, whatever its outcome
        }
        emit(new Event.ReloadBegun(wallClock.instant(), kind.label(), target.generation(), previous.generation(),
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
                Slot slot = slots.get(id);
                if (slot.failed) {
                    rollout.slotSkipped(id);
                    continue;
                }
                WorkerProcess incoming = spawn(slot, rollout.target);
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

    private void onIncomingReady(Slot slot, WorkerProcess incoming) {
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
            Duration observe = spec.canaryPeriod();
            emit(new Event.CanaryWatching(wallClock.instant(), slot.id, incoming.pid, incoming.generation, observe));
            Rollout watched = rollout;
            timers.at(nanoClock.getAsLong() + observe.toNanos(), () -> canaryPassed(watched, slot, incoming));
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
        slot.deployment = rollout.target;
        slot.backoff = RestartBackoff.initial(spec.restartDelay(), spec.maxRestartDelay(), CALM_PERIOD);
        if (old == null) {
            slotReplaced(slot, null, incoming, null);
            return;
        }
        old.stopReason = ExitReason.STOPPED;
        old.state = WorkerState.DRAINING;
        old.retired = true;
        launcher.signal(old.pid, Signal.TERM);
        timers.at(nanoClock.getAsLong() + spec.drainTimeout().toNanos(), () -> {
            if (old.live() && workersByPid.get(old.pid) == old) {
                log.warn("event=worker.drain_timeout slot={} pid={} timeout_ms={}", old.slot, old.pid,
                        spec.drainTimeout().toMillis());
                launcher.signal(old.pid, Signal.KILL);
            }
        });
        rollout.releasing.put(slot.id, old);
        checkReleases();
    }

    /** Counts the slots whose old worker has closed the socket (or exited) as replaced; polls on for the rest. */
    private void checkReleases() {
        for (var entry : List.copyOf(rollout.releasing.entrySet())) {
            WorkerProcess old = entry.getValue();
            if (!old.live() || !launcher.holdsSocket(old.pid)) {
                released(slots.get(entry.getKey()), old);
            }
        }
        if (!rollout.releasing.isEmpty() && !releasePollScheduled) {
            releasePollScheduled = true;
            timers.at(nanoClock.getAsLong() + READINESS_POLL_NANOS, this::pollReleases);
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
                : spec.retiredNice() == 0 ? "unchanged" : launcher.deprioritise(old.pid, spec.retiredNice());
        slotReplaced(slot, old, slot.worker, priority);
    }

    private void slotReplaced(Slot slot, WorkerProcess old, WorkerProcess incoming, String priority) {
        rollout.slotReplaced(slot.id);
        emit(new Event.SlotReplaced(wallClock.instant(), rollout.kind.label(), slot.id, old == null ? 0 : old.pid,
                incoming.pid, incoming.generation, Duration.ofNanos(nanoClock.getAsLong() - incoming.spawnedAtNanos)));
        if (old != null) {
            emit(new Event.WorkerRetired(wallClock.instant(), old.slot, old.pid, old.generation, priority));
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
        if (slot.worker == null && !slot.failed && !slot.restartPending) {
            respawn(slot); // the old worker died meanwhile too: fill the slot again
        }
    }

    private void rolloutFailed(String reason) {
        Rollout failed = rollout;
        rollout = null;
        // stop every other new worker of this rollout; the old ones keep serving their slots
        for (int id : failed.startingSlots()) {
            Slot slot = slots.get(id);
            if (slot.incoming != null) {
                abandon(slot.incoming);
                slot.incoming = null;
            }
        }
        if (failed.canary != null) {
            abandon(failed.canary);
        }
        Duration took = Duration.ofNanos(nanoClock.getAsLong() - failed.startedNanos);
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
        emit(new Event.ReloadFailed(wallClock.instant(), failed.kind.label(), failed.target.generation(), reason,
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
            launcher.signal(worker.pid, Signal.KILL);
        }
    }

    private void rolloutDone() {
        Rollout done = rollout;
        rollout = null;
        if (done.kind == Rollout.Kind.UPGRADE) {
            current = done.target;
        }
        Duration took = Duration.ofNanos(nanoClock.getAsLong() - done.startedNanos);
        emit(new Event.ReloadDone(wallClock.instant(), done.kind.label(), done.target.generation(),
                done.replaced().size(), took));
        RolloutResult result = new RolloutResult(done.kind.label(), true, done.target.generation(), null, false,
                done.replaced(), took.toMillis());
        done.waiters.forEach(w -> w.complete(result));
        startQueuedReload();
    }

    private void startQueuedReload() {
        if (queuedReload != null && rollout == null && !shuttingDown) {
            List<CompletableFuture<RolloutResult>> waiters = queuedReload;
            queuedReload = null;
            startRollout(Rollout.Kind.RELOAD, current.withGeneration(++highestGeneration), waiters);
        }
    }

    private List<Long> killRetired() {
        List<Long> killed = new ArrayList<>();
        for (WorkerProcess worker : workersByPid.values()) {
            if (worker.retired && worker.live()) {
                launcher.signal(worker.pid, Signal.KILL);
                killed.add(worker.pid);
            }
        }
        log.info("event=retired.killed count={} pids={}", killed.size(), killed);
        return killed;
    }

    private ClusterStatus status() {
        long now = nanoClock.getAsLong();
        List<ClusterStatus.WorkerInfo> workers = new ArrayList<>();
        for (WorkerProcess w : workersByPid.values()) {
            workers.add(new ClusterStatus.WorkerInfo(w.slot, w.pid, w.generation, w.state.label(), w.retired,
                    Duration.ofNanos(now - w.spawnedAtNanos).toMillis(), w.status));
        }
        for (Slot slot : slots) {
            if (slot.failed) {
                workers.add(new ClusterStatus.WorkerInfo(slot.id, 0, slot.deployment.generation(),
                        WorkerState.FAILED.label(), false, 0, null));
            }
        }
        workers.sort(Comparator.comparingInt(ClusterStatus.WorkerInfo::slot)
                .thenComparing(ClusterStatus.WorkerInfo::retired)
                .thenComparingLong(ClusterStatus.WorkerInfo::pid));
        return new ClusterStatus(ProcessHandle.current().pid(), port, current.generation(),
                rollout == null ? null : rollout.kind.label(), workers);
    }

    // ---- signals and shutdown ----

    private void onSignal(Signal signal) {
        switch (signal) {
            case TERM, INT -> {
                if (!shuttingDown) {
                    emit(new Event.SignalReceived(wallClock.instant(), signal.name(), "drain"));
                    beginShutdown(false, "signal " + signal.name());
                } else if (signal == Signal.INT && !hardStop) {
                    emit(new Event.SignalReceived(wallClock.instant(), signal.name(), "hard-stop"));
                    beginShutdown(true, "second SIGINT");
                } else {
                    emit(new Event.SignalReceived(wallClock.instant(), signal.name(), "ignored: already stopping"));
                }
            }
            case HUP, USR2 -> {
                emit(new Event.SignalReceived(wallClock.instant(), signal.name(), "reload"));
                if (!shuttingDown) {
                    requestReload(new CompletableFuture<>());
                }
            }
            case USR1 -> {
                emit(new Event.SignalReceived(wallClock.instant(), signal.name(), "kill-retired"));
                killRetired();
            }
            default -> emit(new Event.SignalReceived(wallClock.instant(), signal.name(), "ignored"));
        }
    }

    private void beginShutdown(boolean hard, String why) {
        if (hard) {
            hardStop = true;
        }
        boolean first = !shuttingDown;
        shuttingDown = true;
        if (exitWhy == null) {
            exitWhy = why;
        }
        if (rollout != null) {
            Rollout stopped = rollout;
            rollout = null;
            RolloutResult result = new RolloutResult(stopped.kind.label(), false, stopped.target.generation(),
                    "the master is shutting down", false, stopped.replaced(),
                    Duration.ofNanos(nanoClock.getAsLong() - stopped.startedNanos).toMillis());
            stopped.waiters.forEach(w -> w.complete(result));
        }
        if (queuedReload != null) {
            queuedReload.forEach(w -> w.completeExceptionally(new CommandException("the master is shutting down")));
            queuedReload = null;
        }
        emit(new Event.ShutdownBegun(wallClock.instant(), hard, spec.drainTimeout()));
        if (first) {
            // New connections are now refused once every worker has closed its copy: a load balancer sees a
            // closed port rather than connections that queue and are never answered.
            closeListener.run();
        }
        for (WorkerProcess worker : workersByPid.values()) {
            if (hard) {
                worker.stopReason = ExitReason.KILLED;
                launcher.signal(worker.pid, Signal.KILL);
            } else if (worker.stopReason == null) {
                worker.stopReason = ExitReason.STOPPED;
                worker.state = WorkerState.DRAINING;
                launcher.signal(worker.pid, Signal.TERM);
            }
        }
        if (first && !hard) {
            timers.at(nanoClock.getAsLong() + spec.drainTimeout().toNanos(), this::killStragglers);
        }
        finishIfStopped();
    }

    private void killStragglers() {
        for (WorkerProcess worker : workersByPid.values()) {
            log.warn("event=worker.drain_timeout slot={} pid={} timeout_ms={}", worker.slot, worker.pid,
                    spec.drainTimeout().toMillis());
            launcher.signal(worker.pid, Signal.KILL);
        }
    }

    private void finishIfStopped() {
        if (shuttingDown && workersByPid.isEmpty()) {
            finish(hardStop ? EXIT_HARD_STOP : EXIT_OK, exitWhy);
        }
    }

    private void finish(int code, String why) {
        if (exitCode == null) {
            exitCode = code;
            exitWhy = why;
        }
    }

    // ---- helpers ----

    private void emit(Event event) {
        for (EventListener listener : listeners) {
            try {
                listener.onEvent(event);
            } catch (RuntimeException e) {
                log.error("event=listener.error listener={} error=\"{}\"", listener.getClass().getName(), e.toString());
            }
        }
    }

    private static String signalName(int number) {
        try {
            return Signal.of(number).name();
        } catch (IllegalArgumentException e) {
            return Integer.toString(number);
        }
    }

    /** Current state per slot, for tests; called on the supervisor thread. */
    List<WorkerState> slotStates() {
        return slots.stream().map(Slot::state).toList();
    }
}
