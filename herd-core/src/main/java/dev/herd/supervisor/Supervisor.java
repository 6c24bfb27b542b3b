package dev.herd.supervisor;

import dev.herd.ClusterSpec;
import dev.herd.Event;
import dev.herd.EventListener;
import dev.herd.command.CommandGateway;
import dev.herd.command.ControlCommand;
import dev.herd.listen.Listeners;
import dev.herd.os.ExitStatus;
import dev.herd.os.Signal;
import dev.herd.wire.NotifyMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
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
 * locks. Other threads only {@link #post post}. The jobs are done by the parts it wires together:
 * {@link WorkerStarter} (spawn, readiness), {@link ExitHandler} (exits, crash restarts), {@link Rollouts}
 * (changes of what slots run), {@link Retirement}, {@link Watchdog}, {@link WorkerMessages},
 * {@link CommandHandler} and {@link Shutdown}.
 */
public final class Supervisor implements CommandGateway {
    private static final Logger log = LoggerFactory.getLogger(Supervisor.class);

    /** Exit codes of the master, documented in the README. */
    public static final int EXIT_OK = 0;
    public static final int EXIT_ALL_SLOTS_FAILED = 4;
    public static final int EXIT_HARD_STOP = 130;

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

    /** A new master asks for the cluster: the loop stops where it is until the hand-over is settled. */
    record Freeze(HandOff handOff, Duration limit) implements Message {
    }

    /** An event seen by another part of the master (the log copier): listeners get it on the loop's thread. */
    record Publish(Event event) implements Message {
    }

    private final BlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
    private final LoopContext loop;
    private final Pool pool = new Pool();
    private final ServingSet serving;
    private final WorkerStarter starter;
    private final Retirement retirement;
    private final Shutdown shutdown;
    private final ExitHandler exits;
    private final Rollouts rollouts;
    private final Recycler recycler;
    private final ScheduledReloads scheduledReloads;
    private final WorkerMessages workerMessages;
    private final CommandHandler commands;
    private final Adoption adoption;
    private List<AdoptedWorker> toAdopt = List.of();
    private Adoption.Origin adoptedFrom;
    private boolean started;
    private boolean stopAnnounced;

    /**
     * @param port      the port actually bound (differs from the spec's when it asked for 0)
     * @param sockets   the listening sockets: told which slots serve, closed when the shutdown begins
     * @param nanoClock monotonic time for timers and durations; {@code wallClock} stamps events (tests pass fakes)
     */
    public Supervisor(ClusterSpec spec, int port, Map<String, String> masterEnv, WorkerLauncher launcher,
                      Listeners sockets, List<EventListener> listeners, LongSupplier nanoClock, InstantSource wallClock) {
        loop = new LoopContext(spec, launcher, sockets, listeners, nanoClock, wallClock);
        serving = new ServingSet(pool, sockets);
        starter = new WorkerStarter(loop, pool, port, masterEnv, new WorkerLauncher.Callbacks() {
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
        });
        retirement = new Retirement(loop, pool);
        shutdown = new Shutdown(loop, pool, serving);
        exits = new ExitHandler(loop, pool, starter, shutdown);
        Deployment initial = new Deployment(1, spec.command(), Map.of());
        rollouts = new Rollouts(loop, pool, starter, retirement, serving, exits::respawn, shutdown::shuttingDown,
                initial);
        exits.handsRolloutExitsTo(rollouts);
        recycler = new Recycler(loop, pool, rollouts, shutdown::shuttingDown, new java.util.SplittableRandom());
        scheduledReloads = new ScheduledReloads(loop, rollouts, shutdown::shuttingDown);
        shutdown.abortsOnBegin(rollouts);
        starter.reportTo(new WorkerStarter.Outcomes() {
            @Override
            public void spawnFailed(Slot slot, String error) {
                exits.spawnFailed(slot, error);
            }

            @Override
            public void ready(Slot slot, WorkerProcess worker) {
                if (slot.incoming() == worker) {
                    rollouts.onIncomingReady(slot, worker);
                }
            }
        });
        workerMessages = new WorkerMessages(loop, pool, starter, new Watchdog(loop, pool, rollouts));
        commands = new CommandHandler(loop, pool, port, rollouts, retirement, exits, shutdown);
        adoption = new Adoption(loop, pool, starter, retirement);
        for (int id = 0; id < spec.workers(); id++) {
            pool.add(ExitHandler.newSlot(spec, id, initial));
        }
    }

    /** Thread-safe: hands a message to the loop. */
    void post(Message message) {
        inbox.add(message);
    }

    /** Thread-safe: a signal the master received, handled on the loop. */
    public void signal(Signal signal) {
        post(new SignalArrived(signal));
    }

    /**
     * Runs {@code task} on the loop every {@code period}, first one period from now; call before {@link #run}. What
     * must stop when the loop hangs runs here (the service manager's watchdog pings).
     */
    public void every(java.time.Duration period, Runnable task) {
        long nanos = period.toNanos();
        loop.after(nanos, new Runnable() {
            @Override
            public void run() {
                task.run();
                loop.after(nanos, this);
            }
        });
    }

    /** Thread-safe: an event seen by another part of the master (the log copier), given to listeners on the loop. */
    public void publish(Event event) {
        post(new Publish(event));
    }

    /**
     * Thread-safe: asks the loop to stop where it is for a hand-over; the loop then waits until it is settled, at most
     * {@code limit} unless it was confirmed.
     */
    public void freeze(HandOff handOff, Duration limit) {
        post(new Freeze(handOff, limit));
    }

    /** Thread-safe: asks the loop to carry out a command; the future completes with its answer. */
    @Override
    public <R> CompletableFuture<R> submit(ControlCommand<R> command) {
        CompletableFuture<R> reply = new CompletableFuture<>();
        post(new CommandArrived<>(command, reply));
        return reply;
    }

    /** Where failed starts' last lines are read (the worker logs); set before {@link #run}. */
    public void workerOutput(WorkerOutput output) {
        starter.output(output);
    }

    /** How {@code upgrade-master} and SIGUSR2 start the next master; set before {@link #run}. */
    public void successor(MasterSuccessor successor) {
        commands.successor(successor);
    }

    /** The application's delegate handlers and message listeners (library mode); set before {@link #run}. */
    public void delegates(Delegates delegates) {
        workerMessages.delegates(delegates);
    }

    /**
     * Workers of an earlier master to take over when the loop starts, before any slot gets a new worker; set before
     * {@link #run}.
     */
    public void adopt(List<AdoptedWorker> workers, String kind, long fromPid, int sockets, long beganNanos,
                      CarriedCounters counters) {
        toAdopt = List.copyOf(workers);
        adoptedFrom = new Adoption.Origin(kind, fromPid, sockets, beganNanos, counters);
    }

    /** Each worker gets its own notify socket, so a datagram is attributed by where it arrives, not by sender pid. */
    public static Path notifySocketPath(Path stateDir, int slot, long sequence) {
        return stateDir.resolve("notify").resolve(slot + "." + sequence + ".sock");
    }

    /** Runs the loop on the calling thread until the cluster has stopped; returns the master's exit code. */
    public int run() {
        startSlots();
        while (shutdown.exitCode() == null) {
            long wait = loop.timers().nanosUntilNext(loop.now());
            Message message;
            try {
                message = wait == Long.MAX_VALUE ? inbox.take() : inbox.poll(wait, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                shutdown.begin(true, "interrupted", Duration.ZERO);
                continue;
            }
            process(message);
        }
        return stopped();
    }

    /**
     * One turn of the loop without waiting, for tests that step a fake clock: handles every queued message, runs
     * the timers due at the clock's time, until nothing is left to do now, and returns the exit code once the cluster has stopped (else null). The
     * first call starts the slots' workers, as {@link #run} does.
     */
    Integer step() {
        startSlots();
        do {
            Message message;
            while (shutdown.exitCode() == null && (message = inbox.poll()) != null) {
                process(message);
            }
            if (shutdown.exitCode() == null) {
                process(null); // the timers due now, which may post more (a SIGKILLed worker's exit)
            }
        } while (shutdown.exitCode() == null && !inbox.isEmpty());
        return shutdown.exitCode() == null ? null : stopped();
    }

    private void startSlots() {
        if (!started) {
            started = true;
            if (adoptedFrom != null) {
                adoption.adopt(toAdopt, adoptedFrom).ifPresent(outcome -> {
                    // a slot whose worker is gone gets one of what the others run
                    pool.slots().stream().filter(s -> s.worker() == null).forEach(s -> s.runs(outcome.current()));
                    rollouts.adopted(outcome);
                });
                toAdopt = List.of();
            }
            pool.slots().forEach(exits::respawn);
            serving.update();
            recycler.start();
            scheduledReloads.start();
        }
    }

    /** Handles one message (or none), then the timers due now, then tells the listeners who serves. */
    private void process(Message message) {
        try {
            if (message != null) {
                handle(message);
            }
            if (shutdown.exitCode() != null) {
                return; // the loop ends (a hand-over: nothing more may touch what is now the new master's)
            }
            loop.timers().runDue(loop.now());
            serving.update();
        } catch (RuntimeException | OutOfMemoryError e) {
            // The master must outlive any one bad event, a thread it could not create included: log it and keep
            // supervising.
            log.error("event=supervisor.error message=\"{}\"", e.toString(), e);
        }
    }

    private int stopped() {
        if (!stopAnnounced) {
            stopAnnounced = true;
            loop.emit(shutdown.stopped());
        }
        return shutdown.exitCode();
    }

    private void handle(Message message) {
        switch (message) {
            case Exited exited -> exits.onExit(exited.pid(), exited.status());
            case Notified notified -> workerMessages.onNotify(notified.pid(), NotifyMessage.parse(notified.datagram()));
            case ChannelLine channel -> workerMessages.onChannelLine(channel.pid(), channel.line());
            case SignalArrived signal -> onSignal(signal.signal());
            case CommandArrived<?> command -> onCommand(command);
            case Publish publish -> loop.emit(publish.event());
            case Freeze freeze -> onFreeze(freeze);
        }
    }

    /** Blocks the loop for a hand-over: the one time the loop thread waits on another, on purpose. */
    private void onFreeze(Freeze freeze) {
        HandOff handOff = freeze.handOff();
        if (shutdown.shuttingDown() || shutdown.exitCode() != null) {
            handOff.refuse("the master is stopping");
            return;
        }
        if (rollouts.busy()) {
            handOff.refuse("a " + rollouts.activeKind() + " is in progress; take over when it has finished");
            return;
        }
        Deployment current = rollouts.current();
        if (!handOff.freeze(new HandOff.Frozen(current.argv(), current.env(), pool.slotCount(), counters()))) {
            return; // the new master gave up before the loop got here
        }
        log.info("event=master.handing_over to_pid={}", handOff.newMasterPid());
        if (handOff.awaitSettled(freeze.limit())) {
            shutdown.handedOver(handOff.newMasterPid());
            return;
        }
        log.warn("event=master.handover_abandoned to_pid={} note=\"the new master did not confirm; this one goes on\"",
                handOff.newMasterPid());
        // what arrived meanwhile (heartbeats, READY=1, exits) before any timer judges the workers by it
        java.util.List<Message> queued = new java.util.ArrayList<>();
        inbox.drainTo(queued);
        queued.forEach(this::handle);
    }

    /** What this master counted that a new one taking over carries on from. */
    private CarriedCounters counters() {
        Map<Integer, Integer> restarts = new java.util.TreeMap<>();
        for (Slot slot : pool.slots()) {
            if (slot.restarts() > 0) {
                restarts.put(slot.id(), slot.restarts());
            }
        }
        Map<Long, CarriedCounters.Served> served = new java.util.TreeMap<>();
        for (WorkerProcess worker : pool.workers()) {
            long connections = worker.connections(loop.listeners());
            if (worker.live() && (connections > 0 || worker.requests() > 0)) {
                served.put(worker.pid(), new CarriedCounters.Served(connections, worker.requests()));
            }
        }
        return new CarriedCounters(restarts, served);
    }

    private <R> void onCommand(CommandArrived<R> arrived) {
        commands.handle(arrived.command(), arrived.reply());
    }

    private void onSignal(Signal signal) {
        String name = signal.name();
        switch (signal) {
            case TERM, INT -> {
                if (!shutdown.shuttingDown()) {
                    loop.emit(new Event.SignalReceived(loop.instant(), name, "drain"));
                    shutdown.begin(false, "signal " + name, loop.spec().drainTimeout());
                } else if (signal == Signal.INT && !shutdown.hardStopping()) {
                    loop.emit(new Event.SignalReceived(loop.instant(), name, "hard-stop"));
                    shutdown.begin(true, "second SIGINT", Duration.ZERO);
                } else {
                    loop.emit(new Event.SignalReceived(loop.instant(), name, "ignored: already stopping"));
                }
            }
            case USR2 -> {
                loop.emit(new Event.SignalReceived(loop.instant(), name, "upgrade-master"));
                CompletableFuture<ControlCommand.MasterStarted> started = new CompletableFuture<>();
                commands.handle(new ControlCommand.UpgradeMaster(), started);
                started.whenComplete((master, error) -> {
                    if (error != null) {
                        log.warn("event=master.upgrade_refused reason=\"{}\"", error.getMessage());
                    }
                });
            }
            case HUP -> {
                loop.emit(new Event.SignalReceived(loop.instant(), name, "reload"));
                if (!shutdown.shuttingDown()) {
                    rollouts.requestReload(new CompletableFuture<>());
                }
            }
            case USR1 -> {
                loop.emit(new Event.SignalReceived(loop.instant(), name, "kill-retired"));
                retirement.killRetired();
            }
            default -> loop.emit(new Event.SignalReceived(loop.instant(), name, "ignored"));
        }
    }
}
