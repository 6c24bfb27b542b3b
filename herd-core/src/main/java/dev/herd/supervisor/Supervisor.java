package dev.herd.supervisor;

import dev.herd.command.ClusterStatus;
import dev.herd.command.CommandException;
import dev.herd.logs.Logfmt;
import dev.herd.wire.NotifyMessage;
import dev.herd.wire.WorkerProtocol;

import dev.herd.command.CommandGateway;
import dev.herd.command.ControlCommand;
import dev.herd.command.RolloutResult;

import dev.herd.ClusterSpec;
import dev.herd.Event;
import dev.herd.Event.ExitReason;
import dev.herd.EventListener;
import dev.herd.ReadyWhen;
import dev.herd.listen.Listeners;
import dev.herd.listen.ServingWorker;
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
public final class Supervisor implements CommandGateway {
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

    record ChannelLine(long pid, String line) implements Message {
    }

    record SignalArrived(Signal signal) implements Message {
    }

    record CommandArrived<R>(ControlCommand<R> command, CompletableFuture<R> reply) implements Message {
    }

    /** An event seen by another part of the master (the log copier): listeners get it on the loop's thread. */
    record Publish(Event event) implements Message {
    }

    final ClusterSpec spec;
    private final int port;
    final Map<String, String> masterEnv;
    final WorkerLauncher launcher;
    private final Listeners listeners;
    private final List<EventListener> eventListeners;
    private final LongSupplier nanoClock;
    private final InstantSource wallClock;

    private final BlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
    final Timers timers = new Timers();
    final List<Slot> slots = new ArrayList<>();
    final Map<Long, WorkerProcess> workersByPid = new HashMap<>();
    private final WorkerLauncher.Callbacks callbacks = new WorkerLauncher.Callbacks() {
        @Override
        public void exited(long pid, ExitStatus status) {
            post(new Exited(pid, status));
        }

        @Override
        public void notified(long pid, String datagram) {
            post(new Notified(pid, datagram));
        }

        @Override
        public void channelLine(long pid, String line) {
            post(new ChannelLine(pid, line));
        }
    };

    private final Rollouts rollouts;
    private long notifySequence;
    private boolean readinessPollScheduled;
    private List<ServingWorker> serving;
    private boolean shuttingDown;
    private boolean hardStop;
    private Integer exitCode;
    private String exitWhy;
    /** When every slot failed: the last one's story, for the master's last line. */
    private String exitLastFailure;
    private WorkerOutput output = WorkerOutput.NONE;

    /**
     * @param port          the port actually bound (differs from the spec's when it asked for 0)
     * @param sockets the listening sockets: told which slots serve, closed when the shutdown begins
     */
    public Supervisor(ClusterSpec spec, int port, Map<String, String> masterEnv, WorkerLauncher launcher,
               Listeners sockets, List<EventListener> listeners, LongSupplier nanoClock, InstantSource wallClock) {
        this.spec = spec;
        this.port = port;
        this.masterEnv = Map.copyOf(masterEnv);
        this.launcher = launcher;
        this.listeners = sockets;
        this.eventListeners = List.copyOf(listeners);
        this.nanoClock = nanoClock;
        this.wallClock = wallClock;
        this.rollouts = new Rollouts(this, new Deployment(1, spec.command(), Map.of()));
        for (int id = 0; id < spec.workers(); id++) {
            slots.add(newSlot(id));
        }
    }

    private Slot newSlot(int id) {
        return new Slot(id, new CrashBudget(spec.maxRestartsPerMinute(), CRASH_WINDOW_NANOS, spec.maxFailedStarts()),
                RestartBackoff.initial(spec.restartDelay(), spec.maxRestartDelay(), CALM_PERIOD), rollouts.current());
    }

    /** Thread-safe: hands a message to the loop. */
    void post(Message message) {
        inbox.add(message);
    }

    /** Thread-safe: a signal the master received, handled on the loop. */
    public void signal(Signal signal) {
        post(new SignalArrived(signal));
    }

    /** Thread-safe: an event seen by another part of the master (the log copier), given to listeners on the loop. */
    public void publish(Event event) {
        post(new Publish(event));
    }

    /** Thread-safe: asks the loop to carry out a command; the future completes with its answer. */
    @Override
    public <R> CompletableFuture<R> submit(ControlCommand<R> command) {
        CompletableFuture<R> reply = new CompletableFuture<>();
        post(new CommandArrived<>(command, reply));
        return reply;
    }

    /** Runs the loop on the calling thread until the cluster has stopped; returns the master's exit code. */
    public int run() {
        slots.forEach(this::respawn);
        updateServing();
        while (exitCode == null) {
            long wait = timers.nanosUntilNext(nanoClock.getAsLong());
            Message message;
            try {
                message = wait == Long.MAX_VALUE ? inbox.take() : inbox.poll(wait, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                beginShutdown(true, "interrupted", Duration.ZERO);
                continue;
            }
            try {
                if (message != null) {
                    handle(message);
                }
                timers.runDue(nanoClock.getAsLong());
                updateServing();
            } catch (RuntimeException | OutOfMemoryError e) {
                // The master must outlive any one bad event, a thread it could not create included: log it and keep
                // supervising.
                log.error("event=supervisor.error message=\"{}\"", e.toString(), e);
            }
        }
        emit(new Event.ClusterStopped(wallClock.instant(), exitCode, exitWhy, exitLastFailure));
        return exitCode;
    }

    private void handle(Message message) {
        switch (message) {
            case Exited exited -> onExit(exited.pid(), exited.status());
            case Notified notified -> onNotify(notified.pid(), NotifyMessage.parse(notified.datagram()));
            case ChannelLine channel -> onChannelLine(channel.pid(), channel.line());
            case SignalArrived signal -> onSignal(signal.signal());
            case CommandArrived<?> command -> onCommand(command);
            case Publish publish -> emit(publish.event());
        }
    }

    // ---- spawning and readiness ----

    /** Starts a worker of the slot's own deployment, after a crash or at start-up. */
    void respawn(Slot slot) {
        slot.restartPending = false;
        if (shuttingDown || !slot.running() || slot.worker != null || slot.incoming != null) {
            return; // a rollout may have filled the slot meanwhile
        }
        WorkerProcess worker = spawn(slot, slot.deployment);
        if (worker != null) {
            slot.worker = worker;
        }
    }

    /** Spawns a worker for the slot; on failure counts it like a crash and returns null. */
    WorkerProcess spawn(Slot slot, Deployment deployment) {
        long now = nanoClock.getAsLong();
        long sequence = notifySequence++;
        Path notifyPath = notifySocketPath(spec.stateDir(), slot.id, sequence);
        Path channelPath = notifyPath.resolveSibling(slot.id + "." + sequence + ".chan");
        Map<String, String> env = new LinkedHashMap<>(masterEnv);
        env.putAll(deployment.env());
        Path logFile = dev.herd.logs.WorkerLogs.spoolFor(spec.logDir(), slot.id);
        long outputMark = output.mark(slot.id);
        long pid;
        int privatePort = 0;
        try {
            privatePort = listeners.workersBindOwnPort() ? listeners.newWorkerPort() : 0;
            env = WorkerEnvironment.build(env, slot.id, deployment.generation(), port, spec.socketFd(), notifyPath,
                    privatePort, listeners.workerHost(), channelPath, spec.watchdogTimeout().toMillis());
            pid = launcher.launch(new WorkerLauncher.Plan(slot.id, deployment.generation(), deployment.argv(), env,
                    logFile, notifyPath, privatePort, channelPath), callbacks);
        } catch (RuntimeException | OutOfMemoryError e) {
            // OutOfMemoryError too: "unable to create native thread" at a process limit is a failed start, not the end
            log.error("event=worker.spawn_failed slot={} generation={} error=\"{}\"", slot.id,
                    deployment.generation(), e.getMessage());
            if (!rollouts.spawnFailed(slot, e.getMessage())) {
                afterUnexpectedExit(slot, new Failure(0, "spawn failed: " + e.getMessage(), ExitReason.CRASH,
                        Duration.ZERO, false, null));
            }
            return null;
        }
        WorkerProcess worker = new WorkerProcess(slot.id, deployment.generation(), pid, now, privatePort);
        worker.outputMark = outputMark;
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
    public static Path notifySocketPath(Path stateDir, int slot, long sequence) {
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
        worker.wasReady = true;
        worker.readyAtNanos = nanoClock.getAsLong();
        Slot slot = slots.get(worker.slot);
        slot.budget.workerReady();
        slot.lastFailure = null;
        emit(new Event.WorkerReady(wallClock.instant(), worker.slot, worker.pid, worker.generation,
                Duration.ofNanos(worker.readyAtNanos - worker.spawnedAtNanos)));
        if (slot.incoming == worker) {
            rollouts.onIncomingReady(slot, worker);
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

    /** A line on a worker's channel: its lifecycle messages act as their notify counterparts. */
    private void onChannelLine(long pid, String line) {
        WorkerProcess worker = workersByPid.get(pid);
        if (worker == null) {
            return;
        }
        WorkerProtocol.Message message;
        try {
            message = WorkerProtocol.read(line);
        } catch (IllegalArgumentException e) {
            worker.badLines++;
            // the first ones, then every 1000th: a worker spewing garbage must not flood the master's log
            if (worker.badLines <= 10 || worker.badLines % 1000 == 0) {
                log.warn("event=worker.bad_message slot={} pid={} count={} error={}", worker.slot, pid,
                        worker.badLines, Logfmt.value(e.getMessage()));
            }
            return;
        }
        switch (message) {
            case WorkerProtocol.Lifecycle lifecycle -> onNotify(pid, lifecycle.signal());
            case WorkerProtocol.Counters counters -> {
                worker.connections = counters.connections();
                worker.requests = counters.requests();
            }
            case WorkerProtocol.Ask ask -> delegates.answer(worker.slot, pid, ask,
                    reply -> launcher.send(pid, reply));
            case WorkerProtocol.Note note -> delegates.deliver(worker.slot, pid, note.payload());
        }
    }

    private Delegates delegates = Delegates.NONE;

    /** Where failed starts' last lines are read (the worker logs); set before {@link #run}. */
    public void workerOutput(WorkerOutput output) {
        this.output = output;
    }

    /** The application's delegate handlers and message listeners (library mode); set before {@link #run}. */
    public void delegates(Delegates delegates) {
        this.delegates = delegates;
    }

    /** Tells the worker on its channel to drain (with its SIGTERM), for apps that do not handle signals. */
    private void sendDrain(WorkerProcess worker) {
        launcher.send(worker.pid, WorkerProtocol.line("drain"));
    }

    private void onNotify(long pid, NotifyMessage message) {
        WorkerProcess worker = workersByPid.get(pid);
        if (worker == null) {
            return;
        }
        if (message.heartbeat()) {
            worker.lastHeartbeatNanos = nanoClock.getAsLong();
            scheduleWatchdog();
        }
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

    // ---- the watchdog ----

    private boolean watchdogScheduled;

    /** Checks heartbeats a few times per timeout while any worker sends them. */
    private void scheduleWatchdog() {
        if (!watchdogScheduled && spec.watchdogTimeout().isPositive()) {
            watchdogScheduled = true;
            timers.at(nanoClock.getAsLong() + spec.watchdogTimeout().toNanos() / 4, this::checkHeartbeats);
        }
    }

    /**
     * A serving worker whose heartbeats stopped for the timeout is hung: its slot gets a new worker the way a
     * restart does (the hung one keeps its socket until the new one is ready, so nothing is refused), and the
     * hung one is then killed, since it cannot drain.
     */
    private void checkHeartbeats() {
        watchdogScheduled = false;
        long now = nanoClock.getAsLong();
        boolean watching = false;
        for (Slot slot : slots) {
            WorkerProcess worker = slot.worker;
            if (worker == null || worker.lastHeartbeatNanos == 0 || worker.state != WorkerState.READY) {
                continue;
            }
            watching = true;
            long silent = now - worker.lastHeartbeatNanos;
            if (silent < spec.watchdogTimeout().toNanos() || worker.hung) {
                continue;
            }
            worker.hung = true;
            log.warn("event=worker.hung slot={} pid={} silent_ms={} timeout_ms={}", slot.id, worker.pid,
                    Duration.ofNanos(silent).toMillis(), spec.watchdogTimeout().toMillis());
            if (rollouts.busy()) {
                worker.stopReason = ExitReason.KILLED; // no replacement without downtime now: the crash path refills it
                launcher.signal(worker.pid, Signal.KILL);
            } else {
                rollouts.requestRestart(slot, new CompletableFuture<>());
            }
        }
        if (watching) {
            scheduleWatchdog();
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
        releasePort(worker); // nat mode: a rescue listener takes the dead port over before the rules move its band
        long now = nanoClock.getAsLong();
        Duration uptime = Duration.ofNanos(now - worker.spawnedAtNanos);
        ExitReason reason = reasonFor(worker, status);
        boolean unexpected = reason == ExitReason.CRASH || reason == ExitReason.START_TIMEOUT;
        // only a failed start's output is read here: its cause (a port in use, a missing class) is in its last lines
        String lastOutput = unexpected && !worker.wasReady ? output.lastLines(worker.slot, worker.outputMark) : null;
        emit(new Event.WorkerExited(wallClock.instant(), worker.slot, pid, worker.generation,
                status.signaled() ? -1 : status.code(),
                status.signaled() ? signalName(status.signal()) : null, reason, uptime, lastOutput));
        Slot slot = slots.get(worker.slot);
        if (shuttingDown) {
            forget(slot, worker);
            finishIfStopped();
            return;
        }
        if (rollouts.onExit(slot, worker, reason, status, uptime)) {
            return;
        }
        if (slot.worker == worker) {
            slot.worker = null;
            if (unexpected) {
                afterUnexpectedExit(slot, new Failure(pid, status.describe(), reason, uptime, worker.wasReady, lastOutput));
            }
        }
    }

    private void releasePort(WorkerProcess worker) {
        if (worker.port > 0) {
            try {
                listeners.workerExited(worker.slot, worker.port);
            } catch (RuntimeException e) {
                log.error("event=listeners.update_failed error=\"{}\"", e.getMessage());
            }
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

    /** An unexpected end of a slot's worker (or of its spawn), as the budget and the status see it. */
    private record Failure(long pid, String exit, ExitReason reason, Duration uptime, boolean wasReady,
                           String lastOutput) {
    }

    private void afterUnexpectedExit(Slot slot, Failure failure) {
        long now = nanoClock.getAsLong();
        CrashBudget.Verdict verdict = slot.budget.afterExit(now, !failure.wasReady());
        slot.lastFailure = new ClusterStatus.LastFailure(wallClock.instant().toString(), failure.pid(), failure.exit(),
                failure.reason().label(), failure.uptime().toMillis(), failure.wasReady(), verdict.failedStarts(),
                failure.lastOutput(), null);
        if (verdict.exhausted()) {
            CrashBudget.Limit limit = verdict.exceeded();
            String gaveUp = limit == CrashBudget.Limit.FAILED_STARTS
                    ? verdict.failedStarts() + " failed starts in a row (--" + limit.setting() + " "
                    + slot.budget.limit(limit) + ")"
                    : verdict.recentExits() + " unexpected exits within 60 s (--" + limit.setting() + " "
                    + slot.budget.limit(limit) + ")";
            slot.failed = true;
            slot.lastFailure = slot.lastFailure.withGaveUp(gaveUp);
            emit(new Event.SlotFailed(wallClock.instant(), slot.id, verdict.recentExits(), slot.budget.limit(limit),
                    limit.setting(), verdict.failedStarts(), failure.lastOutput()));
            if (slots.stream().allMatch(s -> s.failed || s.removed)) { // none stopped by an operator, none left
                exitLastFailure = "slot " + slot.id + " gave up after " + gaveUp + "; its last worker: " + failure.exit()
                        + (failure.wasReady() ? "" : " before it was ready")
                        + (failure.lastOutput() == null ? "" : "; last output: " + failure.lastOutput());
                finish(EXIT_ALL_SLOTS_FAILED, "every slot failed");
            }
            return;
        }
        if (slot.incoming != null) {
            return; // the rollout's new worker is about to take the slot over
        }
        slot.backoff = slot.backoff.afterCrash(failure.uptime());
        Duration delay = slot.backoff.delay();
        slot.restartPending = true;
        slot.restarts++;
        emit(new Event.RestartScheduled(wallClock.instant(), slot.id, delay, verdict.recentExits(),
                verdict.failedStarts()));
        timers.at(now + delay.toNanos(), () -> respawn(slot));
    }

    // ---- commands ----

    private <R> void onCommand(CommandArrived<R> arrived) {
        CompletableFuture<R> reply = arrived.reply();
        if (shuttingDown) {
            reply.completeExceptionally(new CommandException("the master is shutting down"));
            return;
        }
        try {
            carryOut(arrived.command(), reply);
        } catch (CommandException e) {
            reply.completeExceptionally(e);
        }
    }

    /** Each case answers with its command's own result type, R, which the sealed interface fixes per record. */
    @SuppressWarnings("unchecked")
    private <R> void carryOut(ControlCommand<R> command, CompletableFuture<R> reply) {
        switch (command) {
            case ControlCommand.Reload ignored -> rollouts.requestReload((CompletableFuture<RolloutResult>) reply);
            case ControlCommand.Upgrade upgrade -> rollouts.requestUpgrade(upgrade, (CompletableFuture<RolloutResult>) reply);
            case ControlCommand.KillRetired ignored -> reply.complete((R) killRetired());
            case ControlCommand.Status ignored -> reply.complete((R) status());
            case ControlCommand.Stop stop -> {
                Duration drain = stop.drainTimeout() != null ? stop.drainTimeout() : spec.drainTimeout();
                reply.complete((R) new ControlCommand.Stopping(true, drain.toMillis()));
                beginShutdown(false, "stop command", drain);
            }
            case ControlCommand.Exit ignored -> {
                reply.complete((R) new ControlCommand.Exiting(true));
                beginShutdown(true, "exit command", Duration.ZERO);
            }
            case ControlCommand.Restart restart -> restart(restart.target(), (CompletableFuture<RolloutResult>) reply);
            case ControlCommand.Shutdown shutdown -> reply.complete((R) shutdownWorkers(shutdown.target(),
                    shutdown.drainTimeout() != null ? shutdown.drainTimeout() : spec.drainTimeout()));
            case ControlCommand.Scale scale -> reply.complete((R) scale(scale.workers()));
            case ControlCommand.Message message -> reply.complete((R) sendMessage(message));
        }
    }

    /** The running slots a target names; a command error when it names none. */
    private List<Slot> slotsOf(ControlCommand.Target target) {
        return switch (target) {
            case ControlCommand.Target.All ignored -> slots.stream().filter(s -> !s.removed).toList();
            case ControlCommand.Target.OfSlot of -> {
                if (of.slot() < 0 || of.slot() >= slots.size() || slots.get(of.slot()).removed) {
                    throw new CommandException("there is no slot " + of.slot() + "; slots are 0 to "
                            + (slotCount() - 1));
                }
                yield List.of(slots.get(of.slot()));
            }
            case ControlCommand.Target.OfPid of -> {
                WorkerProcess worker = workersByPid.get(of.pid());
                Slot slot = worker == null ? null : slots.get(worker.slot);
                if (slot == null || (slot.worker != worker && slot.incoming != worker)) {
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
            if (slot.worker == null) {
                continue;
            }
            (launcher.send(slot.worker.pid, line) ? sent : unreachable).add(slot.worker.pid);
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
            slot.stopped = true;
            stoppedSlots.add(slot.id);
            if (slot.worker != null) {
                pids.add(slot.worker.pid);
                retire(slot.worker, drainTimeout);
                slot.worker = null;
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
        int now = slotCount();
        if (workers < 1 || workers > ClusterSpec.MAX_WORKERS) {
            throw new CommandException("scale: " + workers + " workers; use 1 to " + ClusterSpec.MAX_WORKERS);
        }
        if (workers != now && !listeners.slotCountCanChange()) {
            throw new CommandException("scale is not available in --mode " + spec.mode().name().toLowerCase(java.util.Locale.ROOT)
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
            if (id < slots.size()) {
                slot = slots.get(id);
                slot.removed = false;
                slot.stopped = false;
                slot.failed = false;
                slot.budget.reset();
                slot.lastFailure = null;
                slot.deployment = rollouts.current();
            } else {
                slot = newSlot(id);
                slots.add(slot);
            }
            started.add(id);
            respawn(slot);
        }
        for (int id = now - 1; id >= workers; id--) {
            Slot slot = slots.get(id);
            slot.removed = true;
            removed.add(id);
            if (slot.worker != null) {
                retire(slot.worker, spec.drainTimeout());
                slot.worker = null;
            }
        }
        log.info("event=cluster.scaled from={} to={} started_slots={} removed_slots={}", now, workers, started, removed);
        return new ControlCommand.Scaled(now, workers, started, removed);
    }

    /**
     * A worker leaves its slot (replaced by a rollout, shut down, scaled away): it stops counting as serving now,
     * and is told to drain after the listeners' retire grace (handshakes begun before the steering change must
     * still land on it).
     */
    void retire(WorkerProcess worker, Duration drainTimeout) {
        worker.stopReason = ExitReason.STOPPED;
        worker.state = WorkerState.DRAINING;
        worker.retired = true;
        long grace = listeners.retireGrace().toNanos();
        if (grace == 0) {
            drain(worker, drainTimeout);
        } else {
            timers.at(nanoClock.getAsLong() + grace, () -> drain(worker, drainTimeout));
        }
    }

    /**
     * The drain message and SIGTERM now, SIGKILL at the drain timeout; a hung worker, which cannot drain, SIGKILL
     * now. Nothing for one already told or gone.
     */
    private void drain(WorkerProcess worker, Duration drainTimeout) {
        if (!worker.live() || workersByPid.get(worker.pid) != worker || worker.termSent) {
            return;
        }
        worker.termSent = true;
        if (worker.hung) {
            worker.stopReason = ExitReason.KILLED;
            launcher.signal(worker.pid, Signal.KILL);
            return;
        }
        sendDrain(worker);
        launcher.signal(worker.pid, Signal.TERM);
        timers.at(nanoClock.getAsLong() + drainTimeout.toNanos(), () -> {
            if (worker.live() && workersByPid.get(worker.pid) == worker) {
                log.warn("event=worker.drain_timeout slot={} pid={} timeout_ms={}", worker.slot, worker.pid,
                        drainTimeout.toMillis());
                launcher.signal(worker.pid, Signal.KILL);
            }
        });
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
            WorkerLauncher.Usage usage = launcher.usage(w.pid);
            workers.add(new ClusterStatus.WorkerInfo(w.slot, w.pid, w.generation, w.state.label(), w.retired,
                    Duration.ofNanos(now - w.spawnedAtNanos).toMillis(), w.status, slots.get(w.slot).restarts,
                    usage.rssBytes(), usage.cpuSeconds(), w.connections, w.requests,
                    w.retired ? null : slots.get(w.slot).lastFailure));
        }
        for (Slot slot : slots) {
            if ((slot.failed || slot.stopped) && !slot.removed) {
                workers.add(new ClusterStatus.WorkerInfo(slot.id, 0, slot.deployment.generation(),
                        (slot.failed ? WorkerState.FAILED : WorkerState.STOPPED).label(), false, 0, null, slot.restarts, 0, 0,
                        0, 0, slot.lastFailure));
            }
        }
        workers.sort(Comparator.comparingInt(ClusterStatus.WorkerInfo::slot)
                .thenComparing(ClusterStatus.WorkerInfo::retired)
                .thenComparingLong(ClusterStatus.WorkerInfo::pid));
        return new ClusterStatus(ProcessHandle.current().pid(), port, rollouts.current().generation(),
                rollouts.activeKind(), slotCount(), workers);
    }

    // ---- signals and shutdown ----

    private void onSignal(Signal signal) {
        switch (signal) {
            case TERM, INT -> {
                if (!shuttingDown) {
                    emit(new Event.SignalReceived(wallClock.instant(), signal.name(), "drain"));
                    beginShutdown(false, "signal " + signal.name(), spec.drainTimeout());
                } else if (signal == Signal.INT && !hardStop) {
                    emit(new Event.SignalReceived(wallClock.instant(), signal.name(), "hard-stop"));
                    beginShutdown(true, "second SIGINT", Duration.ZERO);
                } else {
                    emit(new Event.SignalReceived(wallClock.instant(), signal.name(), "ignored: already stopping"));
                }
            }
            case HUP, USR2 -> {
                emit(new Event.SignalReceived(wallClock.instant(), signal.name(), "reload"));
                if (!shuttingDown) {
                    rollouts.requestReload(new CompletableFuture<>());
                }
            }
            case USR1 -> {
                emit(new Event.SignalReceived(wallClock.instant(), signal.name(), "kill-retired"));
                killRetired();
            }
            default -> emit(new Event.SignalReceived(wallClock.instant(), signal.name(), "ignored"));
        }
    }

    private void beginShutdown(boolean hard, String why, Duration drainTimeout) {
        if (hard) {
            hardStop = true;
        }
        boolean first = !shuttingDown;
        shuttingDown = true;
        if (exitWhy == null) {
            exitWhy = why;
        }
        rollouts.abort("the master is shutting down");
        emit(new Event.ShutdownBegun(wallClock.instant(), hard, drainTimeout));
        if (first) {
            // New connections are now refused once every worker has closed its copy: a load balancer sees a
            // closed port rather than connections that queue and are never answered.
            listeners.stopAccepting();
        }
        for (WorkerProcess worker : workersByPid.values()) {
            if (hard) {
                worker.stopReason = ExitReason.KILLED;
                launcher.signal(worker.pid, Signal.KILL);
            } else if (!worker.termSent) { // a retired worker in its grace period is told now too
                if (worker.stopReason == null) {
                    worker.stopReason = ExitReason.STOPPED;
                }
                worker.state = WorkerState.DRAINING;
                worker.termSent = true;
                sendDrain(worker);
                launcher.signal(worker.pid, Signal.TERM);
            }
        }
        if (first && !hard) {
            timers.at(nanoClock.getAsLong() + drainTimeout.toNanos(), () -> killStragglers(drainTimeout));
        }
        finishIfStopped();
    }

    private void killStragglers(Duration drainTimeout) {
        for (WorkerProcess worker : workersByPid.values()) {
            log.warn("event=worker.drain_timeout slot={} pid={} timeout_ms={}", worker.slot, worker.pid,
                    drainTimeout.toMillis());
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

    /** The slots the cluster has now (scale down removes the highest ones; they stay listed while draining). */
    private int slotCount() {
        return (int) slots.stream().filter(s -> !s.removed).count();
    }

    /** Tells the listeners when the set of serving workers changed (sticky sessions and the proxy steer by it). */
    void updateServing() {
        List<ServingWorker> now = new ArrayList<>();
        for (Slot slot : slots) {
            if (slot.worker != null && slot.worker.state == WorkerState.READY) {
                now.add(new ServingWorker(slot.id, slot.worker.pid, slot.worker.port));
            }
        }
        if (!shuttingDown && !now.equals(serving)) {
            serving = now;
            try {
                listeners.servingChanged(now);
            } catch (RuntimeException e) {
                log.error("event=listeners.update_failed error=\"{}\"", e.getMessage());
            }
        }
    }

    // ---- helpers, also used by Rollouts ----

    long now() {
        return nanoClock.getAsLong();
    }

    java.time.Instant instant() {
        return wallClock.instant();
    }

    boolean shuttingDown() {
        return shuttingDown;
    }

    void emit(Event event) {
        for (EventListener listener : eventListeners) {
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
