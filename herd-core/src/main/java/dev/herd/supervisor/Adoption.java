package dev.herd.supervisor;

import dev.herd.Event;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Makes an earlier master's workers this one's, before the loop starts any worker of its own: in each slot the
 * newest live worker becomes the slot's worker (ready or still starting, as it was), any other one of the slot (a
 * rollout's old worker the earlier master had not retired yet) and any of a slot this cluster no longer has are
 * retired and drained. A slot with no adopted worker gets a new one, as at any start. When what the adopted
 * workers run is not the command this master was given, the slots are moved to it by an upgrade, canary and
 * rollback included, exactly as {@code herd upgrade} would.
 */
final class Adoption {
    private static final Logger log = LoggerFactory.getLogger(Adoption.class);

    /** How the cluster came to this master, for the {@code master.takeover} event. */
    public record Origin(String kind, long fromPid, int sockets, long beganNanos, CarriedCounters counters) {
    }

    private final LoopContext loop;
    private final Pool pool;
    private final WorkerStarter starter;
    private final Retirement retirement;

    Adoption(LoopContext loop, Pool pool, WorkerStarter starter, Retirement retirement) {
        this.loop = loop;
        this.pool = pool;
        this.starter = starter;
        this.retirement = retirement;
    }

    /** What the adoption leaves for the rollouts: the deployment running now and whether to upgrade from it. */
    record Outcome(Deployment current, int highestGeneration, boolean upgradeNeeded) {
    }

    /**
     * Takes the workers that are still there; returns what the slots run now, or empty when none could be adopted
     * (all gone meanwhile).
     */
    Optional<Outcome> adopt(List<AdoptedWorker> workers, Origin origin) {
        Map<Integer, List<AdoptedWorker>> bySlot = new TreeMap<>();
        for (AdoptedWorker worker : workers) {
            bySlot.computeIfAbsent(worker.slot(), s -> new ArrayList<>()).add(worker);
        }
        List<WorkerProcess> kept = new ArrayList<>();
        Deployment newest = null;
        int highestGeneration = 0;
        boolean mixed = false;
        int adopted = 0;
        for (Map.Entry<Integer, List<AdoptedWorker>> entry : bySlot.entrySet()) {
            List<AdoptedWorker> candidates = new ArrayList<>(entry.getValue());
            candidates.sort(Comparator.comparingInt(AdoptedWorker::generation)
                    .thenComparing(AdoptedWorker::spawnedAt).reversed());
            boolean slotKept = entry.getKey() < pool.slots().size() && pool.slot(entry.getKey()).running();
            for (AdoptedWorker candidate : candidates) {
                WorkerProcess worker = take(candidate);
                if (worker == null) {
                    continue;
                }
                adopted++;
                CarriedCounters.Served served = origin.counters().servedByPid().get(worker.pid());
                if (served != null) {
                    worker.counters(served.connections(), served.requests());
                }
                highestGeneration = Math.max(highestGeneration, candidate.generation());
                Slot slot = slotKept ? pool.slot(candidate.slot()) : null;
                if (slot != null && slot.worker() == null) {
                    slot.filledBy(worker);
                    slot.carryRestarts(origin.counters().restartsBySlot().getOrDefault(candidate.slot(), 0));
                    slot.runs(candidate.deployment());
                    kept.add(worker);
                    if (newest == null) {
                        newest = candidate.deployment();
                    } else if (!sameCommand(newest, candidate.deployment())) {
                        mixed = true;
                    }
                    if (newest.generation() < candidate.generation()) {
                        newest = candidate.deployment();
                    }
                    loop.emit(new Event.WorkerAdopted(loop.instant(), worker.slot(), worker.pid(), worker.generation(),
                            candidate.ready(), "serving"));
                } else {
                    loop.emit(new Event.WorkerAdopted(loop.instant(), worker.slot(), worker.pid(), worker.generation(),
                            candidate.ready(), "retired"));
                    retirement.retire(worker, loop.spec().drainTimeout());
                }
            }
        }
        loop.emit(new Event.MasterTakeover(loop.instant(), origin.kind(), origin.fromPid(),
                ProcessHandle.current().pid(), origin.sockets(), adopted,
                Duration.ofNanos(Math.max(0, loop.now() - origin.beganNanos()))));
        for (WorkerProcess worker : kept) {
            if (worker.starting()) {
                starter.watchAdoptedStart(worker);
            }
        }
        if (newest == null) {
            return Optional.empty();
        }
        boolean upgrade = mixed || !newest.argv().equals(loop.spec().command());
        return Optional.of(new Outcome(newest, highestGeneration, upgrade));
    }

    private WorkerProcess take(AdoptedWorker adopted) {
        WorkerProcess worker;
        try {
            worker = starter.adopt(adopted);
        } catch (RuntimeException e) {
            log.warn("event=worker.adopt_failed slot={} pid={} error=\"{}\"", adopted.slot(), adopted.pid(),
                    e.getMessage());
            return null;
        }
        if (worker == null) {
            log.info("event=worker.adopt_skipped slot={} pid={} reason=\"gone\"", adopted.slot(), adopted.pid());
        }
        return worker;
    }

    private static boolean sameCommand(Deployment a, Deployment b) {
        return a.argv().equals(b.argv()) && a.env().equals(b.env());
    }
}
