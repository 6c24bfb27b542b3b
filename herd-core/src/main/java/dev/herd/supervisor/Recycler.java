package dev.herd.supervisor;

import dev.herd.Event;
import dev.herd.Event.ExitReason;
import dev.herd.Recycling;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * Looks at every serving worker a few times a second and recycles those past a limit of the cluster's
 * {@link Recycling}: over the memory, request, connection or uptime limit, the slot goes through the zero-downtime
 * replacement ({@link Rollouts#requestRecycle}); over the hard memory limit the worker is killed at once and replaced
 * (its socket stays open, so nothing is refused). Recycles wait while a reload or upgrade runs (each slot queued
 * once; a slot whose worker the rollout replaced is dropped from the queue), and go at most {@code --reload-batch} at
 * a time. A slot whose fresh workers are over the memory limit as soon as they serve is recycled at most
 * {@value #FRESH_OVER_LIMIT_IN_A_ROW} times in a row; the next such worker is left running and said so.
 */
final class Recycler {
    private static final Logger log = LoggerFactory.getLogger(Recycler.class);
    /** How often the workers are looked at: the memory limit's reaction time is about this plus one spawn. */
    static final Duration CHECK_INTERVAL = Duration.ofMillis(250);
    static final int FRESH_OVER_LIMIT_IN_A_ROW = 3;
    /**
     * Recycles for a request, connection or uptime budget begin at least this far apart, so that workers that reach
     * theirs together are not replaced together; a memory recycle does not wait for it (a leak does not).
     */
    static final Duration SPACING = Duration.ofSeconds(1);

    private final LoopContext loop;
    private final Pool pool;
    private final Rollouts rollouts;
    private final Recycling limits;
    private final java.util.function.BooleanSupplier stopping;
    private final RandomGenerator random;
    /** Per worker (by pid): its own limits with their jitter, drawn when it is first looked at. */
    private final Map<Long, Own> own = new HashMap<>();
    /** Slots waiting to be recycled, in the order their limit was passed. */
    private final Map<Integer, Pending> queued = new LinkedHashMap<>();
    /** Per slot: recycles in a row of workers that were over the memory limit as soon as they served. */
    private final Map<Integer, Integer> freshOverLimit = new HashMap<>();
    private boolean scheduled;
    private long lastBeganNanos = Long.MIN_VALUE;
    /** Over the cluster's high mark, until under its low mark. */
    private boolean reclaiming;
    /** Retired workers killed for the cluster's memory, until their exit. */
    private final java.util.Set<Long> killed = new java.util.HashSet<>();
    /** This look's reading of each worker's resident memory: the limits and the watermarks share it. */
    private final Map<Long, Long> resident = new HashMap<>();

    /** A worker's limits: its jitter drawn once; whether it has been looked at since it serves. */
    private static final class Own {
        final long requests;
        final long connections;
        final long uptimeNanos;
        boolean seen;
        boolean leftRunning;

        Own(long requests, long connections, long uptimeNanos) {
            this.requests = requests;
            this.connections = connections;
            this.uptimeNanos = uptimeNanos;
        }
    }

    private record Pending(long pid, String reason, long value, long limit, long sinceNanos) {
    }

    Recycler(LoopContext loop, Pool pool, Rollouts rollouts, java.util.function.BooleanSupplier stopping,
             RandomGenerator random) {
        this.loop = loop;
        this.pool = pool;
        this.rollouts = rollouts;
        this.limits = loop.spec().recycling();
        this.stopping = stopping;
        this.random = random;
    }

    /** Starts looking, when any limit is set. */
    void start() {
        if (limits.active() && !scheduled) {
            scheduled = true;
            loop.after(CHECK_INTERVAL.toNanos(), this::check);
        }
    }

    private void check() {
        scheduled = false;
        if (stopping.getAsBoolean()) {
            queued.clear();
            return; // the cluster shuts down: nothing is recycled from now on
        }
        long now = loop.now();
        resident.clear();
        own.keySet().removeIf(pid -> pool.worker(pid) == null);
        for (Slot slot : pool.running()) {
            WorkerProcess worker = slot.worker();
            if (worker == null || !worker.serving() || worker.retired() || slot.incoming() != null) {
                continue;
            }
            look(slot, worker, now);
        }
        if (limits.clusterMemoryHigh() > 0) {
            watermarks(now);
        }
        recycleQueued(now);
        start();
    }

    /**
     * The cluster's memory marks: over the high one, one step per look until under the low one: the largest retired
     * (draining) worker killed, else, while no recycle runs or waits, the largest serving worker recycled.
     */
    private void watermarks(long now) {
        Map<WorkerProcess, Long> byWorker = new HashMap<>();
        long total = 0;
        for (WorkerProcess worker : pool.workers()) {
            if (worker.live()) {
                long bytes = resident(worker);
                byWorker.put(worker, bytes);
                total += bytes;
            }
        }
        reclaiming = total > limits.clusterMemoryHigh() || reclaiming && total > limits.clusterMemoryLow();
        if (!reclaiming) {
            return;
        }
        killed.removeIf(pid -> pool.worker(pid) == null);
        WorkerProcess retired = largest(byWorker, w -> w.retired() && !killed.contains(w.pid()));
        if (retired != null) {
            killed.add(retired.pid()); // killed once: a look before its exit does not count it again
            loop.emit(new Event.ClusterMemoryHigh(loop.instant(), total, limits.clusterMemoryHigh(),
                    limits.clusterMemoryLow(), "kill-retired", retired.slot(), retired.pid()));
            retired.kill(ExitReason.KILLED);
            return;
        }
        if (!queued.isEmpty() || rollouts.busy()) {
            return; // one recycle at a time: the next look sees what this one gave back
        }
        WorkerProcess largest = largest(byWorker, w -> w.serving() && !w.retired() && steady(pool.slotServedBy(w)));
        if (largest == null) {
            return;
        }
        loop.emit(new Event.ClusterMemoryHigh(loop.instant(), total, limits.clusterMemoryHigh(),
                limits.clusterMemoryLow(), "recycle", largest.slot(), largest.pid()));
        queue(pool.slotServedBy(largest), largest, "cluster_memory", total, limits.clusterMemoryHigh(), now);
    }

    /** A slot with no replacement under way. */
    private static boolean steady(Slot slot) {
        return slot != null && slot.incoming() == null;
    }

    /** The worker's resident memory, read once per look. */
    private long resident(WorkerProcess worker) {
        return resident.computeIfAbsent(worker.pid(), pid -> loop.launcher().residentBytes(pid));
    }

    private static WorkerProcess largest(Map<WorkerProcess, Long> resident,
                                         java.util.function.Predicate<WorkerProcess> which) {
        return resident.entrySet().stream().filter(e -> which.test(e.getKey()))
                .max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(null);
    }

    private void look(Slot slot, WorkerProcess worker, long now) {
        Own mine = own.computeIfAbsent(worker.pid(), pid -> new Own(
                withJitter(limits.maxRequests()), withJitter(limits.maxConnections()),
                limits.maxUptime().isZero() ? 0 : limits.maxUptime().toNanos() + jitter(limits.uptimeJitter().toNanos())));
        boolean firstLook = !mine.seen;
        mine.seen = true;
        long bytes = limits.maxMemory() > 0 || limits.maxMemoryHard() > 0 ? resident(worker) : 0;
        if (limits.maxMemoryHard() > 0 && bytes > limits.maxMemoryHard()) {
            killAtOnce(slot, worker, bytes); // even while its recycle waits: the hard limit does not
            return;
        }
        if (queued.containsKey(slot.id())) {
            return; // its recycle waits already
        }
        if (limits.maxMemory() > 0) {
            if (bytes > limits.maxMemory()) {
                if (!mine.leftRunning && overLimit(slot, worker, mine, firstLook, bytes)) {
                    queue(slot, worker, "memory", bytes, limits.maxMemory(), now);
                }
                return;
            }
            if (firstLook) {
                freshOverLimit.remove(slot.id()); // a fresh worker under the limit: the slot recovered
            }
        }
        if (mine.requests > 0 && worker.requests() >= mine.requests) {
            queue(slot, worker, "requests", worker.requests(), mine.requests, now);
        } else if (mine.connections > 0 && worker.connections(loop.listeners()) >= mine.connections) {
            queue(slot, worker, "connections", worker.connections(loop.listeners()), mine.connections, now);
        } else if (mine.uptimeNanos > 0 && worker.uptime(now).toNanos() >= mine.uptimeNanos) {
            queue(slot, worker, "uptime", worker.uptime(now).toMillis(), Duration.ofNanos(mine.uptimeNanos).toMillis(), now);
        } else if (!limits.overloadRecycle().isZero() && worker.overloadedSinceNanos() != 0
                && now - worker.overloadedSinceNanos() >= limits.overloadRecycle().toNanos()) {
            queue(slot, worker, "overload", worker.overloadedMillis(now),
                    limits.overloadRecycle().toMillis(), now);
        }
    }

    /**
     * Whether a worker over the memory limit is recycled: not when its slot's fresh workers were over it as soon as
     * they served {@value #FRESH_OVER_LIMIT_IN_A_ROW} times in a row (the limit is below what the app needs).
     */
    private boolean overLimit(Slot slot, WorkerProcess worker, Own mine, boolean firstLook, long resident) {
        if (!firstLook) {
            return true;
        }
        int inARow = freshOverLimit.getOrDefault(slot.id(), 0);
        if (inARow < FRESH_OVER_LIMIT_IN_A_ROW) {
            freshOverLimit.put(slot.id(), inARow + 1);
            return true;
        }
        mine.leftRunning = true;
        loop.emit(new Event.WorkerRecycleFailed(loop.instant(), slot.id(), worker.pid(), "memory", resident,
                limits.maxMemory(), inARow, "its fresh workers are over --max-memory as soon as they serve: the limit is"
                + " below what the app needs; this one is left running: raise --max-memory"));
        return false;
    }

    private void killAtOnce(Slot slot, WorkerProcess worker, long resident) {
        queued.remove(slot.id());
        loop.emit(new Event.WorkerRecycle(loop.instant(), slot.id(), worker.pid(), worker.generation(), "memory_hard",
                resident, limits.maxMemoryHard(), 0));
        worker.kill(ExitReason.RECYCLED);
    }

    private void queue(Slot slot, WorkerProcess worker, String reason, long value, long limit, long now) {
        queued.putIfAbsent(slot.id(), new Pending(worker.pid(), reason, value, limit, now));
    }

    /** Recycles what waits, unless a rollout runs: at most {@code --reload-batch} slots, of one deployment. */
    private void recycleQueued(long now) {
        if (queued.isEmpty() || rollouts.busy()) {
            return;
        }
        List<Slot> slots = new ArrayList<>();
        List<Event> events = new ArrayList<>();
        for (Iterator<Map.Entry<Integer, Pending>> it = queued.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Integer, Pending> entry = it.next();
            Pending pending = entry.getValue();
            Slot slot = pool.hasSlot(entry.getKey()) ? pool.slot(entry.getKey()) : null;
            WorkerProcess worker = slot == null ? null : slot.worker();
            if (worker == null || worker.pid() != pending.pid() || !slot.running() || slot.incoming() != null) {
                it.remove(); // replaced meanwhile (a reload, a crash): its successor starts afresh
                continue;
            }
            if (slots.size() == loop.spec().reloadBatch()
                    || !slots.isEmpty() && !slots.getFirst().deployment().equals(slot.deployment())
                    || !pending.reason().contains("memory") && lastBeganNanos != Long.MIN_VALUE
                    && now - lastBeganNanos < SPACING.toNanos()) {
                continue;
            }
            it.remove();
            slots.add(slot);
            events.add(new Event.WorkerRecycle(loop.instant(), slot.id(), worker.pid(), worker.generation(),
                    pending.reason(), pending.value(), pending.limit(),
                    Duration.ofNanos(Math.max(0, now - pending.sinceNanos())).toMillis()));
        }
        if (slots.isEmpty()) {
            return;
        }
        events.forEach(loop::emit);
        lastBeganNanos = now;
        if (!rollouts.requestRecycle(slots)) {
            log.warn("event=recycle.deferred slots={} reason=\"a rollout began\"", slots.size());
        }
    }

    private long withJitter(long limit) {
        return limit == 0 ? 0 : limit + jitter(limits.maxJitter());
    }

    private long jitter(long bound) {
        return bound <= 0 ? 0 : random.nextLong(bound + 1);
    }
}
