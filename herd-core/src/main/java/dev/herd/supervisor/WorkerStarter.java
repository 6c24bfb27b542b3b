package dev.herd.supervisor;

import dev.herd.ClusterSpec;
import dev.herd.Event;
import dev.herd.listen.Listeners;
import dev.herd.logs.WorkerLogs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Starts workers and sees them become ready: the spawn (environment, notify and channel sockets, log spool),
 * the start timeout, and readiness by {@code started}, by {@code listening} (polled in /proc) or by the worker's
 * {@code READY=1}.
 */
final class WorkerStarter {
    private static final Logger log = LoggerFactory.getLogger(WorkerStarter.class);

    /** How often starting workers are looked at in /proc for readiness {@code listening}. */
    static final long READINESS_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    /** Where the starter reports what the rest of the loop decides on. */
    interface Outcomes {
        /** The launcher could not start a worker for the slot. */
        void spawnFailed(Slot slot, String error);

        /** A worker became ready. */
        void ready(Slot slot, WorkerProcess worker);
    }

    private final LoopContext loop;
    private final Pool pool;
    private final int port;
    private final Map<String, String> masterEnv;
    private final WorkerLauncher.Callbacks callbacks;
    private Outcomes outcomes;
    private WorkerOutput output = WorkerOutput.NONE;
    private long notifySequence;
    private boolean readinessPollScheduled;

    WorkerStarter(LoopContext loop, Pool pool, int port, Map<String, String> masterEnv,
                  WorkerLauncher.Callbacks callbacks) {
        this.loop = loop;
        this.pool = pool;
        this.port = port;
        this.masterEnv = Map.copyOf(masterEnv);
        this.callbacks = callbacks;
    }

    void reportTo(Outcomes outcomes) {
        this.outcomes = outcomes;
    }

    void output(WorkerOutput output) {
        this.output = output;
    }

    WorkerOutput output() {
        return output;
    }

    String masterPath() {
        return masterEnv.get("PATH");
    }

    /** Spawns a worker for the slot; on failure reports it (it counts like a crash) and returns null. */
    WorkerProcess spawn(Slot slot, Deployment deployment) {
        ClusterSpec spec = loop.spec();
        Listeners listeners = loop.listeners();
        long now = loop.now();
        long sequence = notifySequence++;
        Path notifyPath = Supervisor.notifySocketPath(spec.stateDir(), slot.id(), sequence);
        Path channelPath = notifyPath.resolveSibling(slot.id() + "." + sequence + ".chan");
        Map<String, String> given = new LinkedHashMap<>(spec.process().env());
        given.putAll(deployment.env());
        Map<String, String> env;
        Path logFile = WorkerLogs.spoolFor(spec.logDir(), slot.id());
        long outputMark = output.mark(slot.id());
        long pid;
        int privatePort = 0;
        try {
            privatePort = listeners.workersBindOwnPort() ? listeners.newWorkerPort() : 0;
            env = WorkerEnvironment.build(masterEnv, given, slot.id(), deployment.generation(), port, spec.socketFd(), notifyPath,
                    privatePort, listeners.workerHost(), channelPath, spec.watchdogTimeout().toMillis(),
                    spec.drainTimeout().toMillis());
            if (!spec.recycling().overloadRecycle().isZero()) {
                // herd-worker measures its lag and reports when it is overloaded (docs/protocol.md)
                env.put("HERD_OVERLOAD_RECYCLE_MS", Long.toString(spec.recycling().overloadRecycle().toMillis()));
            }
            pid = loop.launcher().launch(new WorkerLauncher.Plan(slot.id(), deployment.generation(), deployment.argv(),
                    env, deployment.env(), sequence, logFile, notifyPath, privatePort, channelPath), callbacks);
        } catch (RuntimeException | OutOfMemoryError e) {
            // OutOfMemoryError too: "unable to create native thread" at a process limit is a failed start, not the end
            log.error("event=worker.spawn_failed slot={} generation={} error=\"{}\"", slot.id(),
                    deployment.generation(), e.getMessage());
            outcomes.spawnFailed(slot, e.getMessage());
            return null;
        }
        WorkerProcess worker = new WorkerProcess(loop.launcher(), slot.id(), deployment.generation(), pid, now,
                privatePort, outputMark);
        pool.register(worker);
        loop.emit(new Event.WorkerForked(loop.instant(), slot.id(), pid, deployment.generation()));
        loop.timers().at(now + spec.startTimeout().toNanos(), () -> {
            if (worker.startingUnasked()) {
                log.warn("event=worker.start_timeout slot={} pid={} timeout_ms={}", worker.slot(), worker.pid(),
                        spec.startTimeout().toMillis());
                worker.kill(dev.herd.Event.ExitReason.START_TIMEOUT);
            }
        });
        switch (spec.readyWhen()) {
            case STARTED -> markReady(worker);
            case LISTENING -> scheduleReadinessPoll();
            case NOTIFY -> { /* waits for READY=1 */ }
        }
        return worker;
    }

    /**
     * Takes over a worker an earlier master started: the launcher watches it from now on (its notify and channel
     * sockets bound again where it knows them); null when it is gone. New workers are numbered after it.
     */
    WorkerProcess adopt(AdoptedWorker adopted) {
        notifySequence = Math.max(notifySequence, adopted.sequence() + 1);
        if (!loop.launcher().adopt(adopted, callbacks)) {
            return null;
        }
        long now = loop.now();
        long age = Math.max(0, java.time.Duration.between(adopted.spawnedAt(), loop.instant()).toNanos());
        WorkerProcess worker = WorkerProcess.adopted(loop.launcher(), adopted.slot(), adopted.generation(),
                adopted.pid(), now - age, adopted.port(), output.mark(adopted.slot()), adopted.ready(), now);
        pool.register(worker);
        return worker;
    }

    /**
     * An adopted worker that was still starting: its readiness is seen by it accepting (whatever it promised the
     * earlier master: a {@code READY=1} it may already have sent is lost), within the start timeout from now.
     */
    void watchAdoptedStart(WorkerProcess worker) {
        loop.timers().at(loop.now() + loop.spec().startTimeout().toNanos(), () -> {
            if (worker.startingUnasked()) {
                log.warn("event=worker.start_timeout slot={} pid={} timeout_ms={}", worker.slot(), worker.pid(),
                        loop.spec().startTimeout().toMillis());
                worker.kill(dev.herd.Event.ExitReason.START_TIMEOUT);
            }
        });
        scheduleReadinessPoll();
    }

    private void scheduleReadinessPoll() {
        if (!readinessPollScheduled) {
            readinessPollScheduled = true;
            loop.after(READINESS_POLL_NANOS, this::pollReadiness);
        }
    }

    private void pollReadiness() {
        readinessPollScheduled = false;
        boolean anyStarting = false;
        for (WorkerProcess worker : pool.snapshot()) {
            if (worker.starting() && (loop.spec().readyWhen() == dev.herd.ReadyWhen.LISTENING || worker.adopted())) {
                if (loop.launcher().isAccepting(worker.pid())) {
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

    void markReady(WorkerProcess worker) {
        if (!worker.markReady(loop.now())) {
            return;
        }
        Slot slot = pool.slot(worker.slot());
        slot.workerReady();
        loop.emit(new Event.WorkerReady(loop.instant(), worker.slot(), worker.pid(), worker.generation(),
                worker.startup()));
        outcomes.ready(slot, worker);
    }
}
